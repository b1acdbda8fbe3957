/*
 * Bounded mutation fuzz of the reader: mutates a valid image (bit flips,
 * boundary values in header and entry fields, truncation, names without a
 * terminator), optionally reseals the CRC, then calls every reader function.
 * Each mutant sits in a heap buffer of exactly its length, given to the
 * reader as the slot size, so AddressSanitizer stops any read past it; the
 * pointers the reader hands out are also checked against the buffer.
 *
 *   fuzz <image-file> <iterations> <seed>
 *
 * Prints one JSON summary line; any finding aborts with a message.
 */
#include "Particle.h"

#include "electron-flash-file.h"
#include "flash-file-stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

uint8_t flashdata_stub_slot[FLASHDATA_STUB_SLOT_SIZE];

namespace {

uint32_t state;

uint32_t next() {
  // xorshift32: fixed seed, same mutants on every run.
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

uint32_t below(uint32_t n) {
  return n == 0 ? 0 : next() % n;
}

void fail(const char *what, uint32_t iteration) {
  fprintf(stderr, "fuzz finding at iteration %u: %s\n", static_cast<unsigned>(iteration), what);
  abort();
}

void putU32(std::vector<uint8_t> &bytes, size_t offset, uint32_t value) {
  if (offset + 4 <= bytes.size()) {
    memcpy(&bytes[offset], &value, 4);
  }
}

uint32_t getU32(const std::vector<uint8_t> &bytes, size_t offset) {
  uint32_t value = 0;
  if (offset + 4 <= bytes.size()) {
    memcpy(&value, &bytes[offset], 4);
  }
  return value;
}

uint32_t interesting(const std::vector<uint8_t> &bytes) {
  const uint32_t size = static_cast<uint32_t>(bytes.size());
  const uint32_t values[] = {0, 1, 47, 48, 79, 80, size - 1, size, size + 1, 0x7fffffff, 0x80000000,
                             0xfffffff0, 0xffffffff, 0x03333334, 128 * 1024, 128 * 1024 + 1, next()};
  return values[below(sizeof(values) / sizeof(values[0]))];
}

void mutate(std::vector<uint8_t> &bytes) {
  const uint32_t numFiles = getU32(bytes, 8);
  const uint32_t files = numFiles < 64 ? numFiles : 64;
  switch (below(5)) {
  case 0: // a bit flip anywhere
    if (!bytes.empty()) {
      bytes[below(static_cast<uint32_t>(bytes.size()))] ^= static_cast<uint8_t>(1u << below(8));
    }
    break;
  case 1: // a header field
    putU32(bytes, 4 * below(6), interesting(bytes));
    break;
  case 2: { // an entry's modDate, length, addr or reserved word
    size_t entry = 48 + 80 * static_cast<size_t>(below(files + 1));
    putU32(bytes, entry + 0x20 + 4 * below(4), interesting(bytes));
    break;
  }
  case 3: { // a name or content type without its terminator
    size_t field = 48 + 80 * static_cast<size_t>(below(files + 1)) + (below(2) ? 0x30 : 0);
    for (size_t ii = field; ii < field + 32 && ii < bytes.size(); ii++) {
      bytes[ii] = 'x';
    }
    break;
  }
  default: // cut short
    bytes.resize(below(static_cast<uint32_t>(bytes.size()) + 1));
    break;
  }
}

void reseal(std::vector<uint8_t> &bytes) {
  const uint32_t totalSize = getU32(bytes, 12);
  if (bytes.size() < 48 || totalSize < 48 || totalSize > bytes.size()) {
    return;
  }
  putU32(bytes, 16, 0);
  putU32(bytes, 16, FlashFile::crc32(bytes.data(), totalSize));
}

struct Counts {
  unsigned valid, crcOk, filesRead, nulTerminated, streamBytes;
};

void checkRange(const uint8_t *start, size_t size, const uint8_t *data, size_t length, uint32_t iteration) {
  if (data < start || data > start + size || length > static_cast<size_t>(start + size - data)) {
    fail("a pointer outside the slot", iteration);
  }
}

void exercise(const std::vector<uint8_t> &bytes, uint32_t iteration, Counts &counts) {
  // Exactly the mutant's bytes, so ASan catches a read one past them.
  const size_t size = bytes.size();
  uint8_t *slot = static_cast<uint8_t *>(malloc(size == 0 ? 1 : size));
  if (size > 0) {
    memcpy(slot, bytes.data(), size);
  }
  FlashFile ff(reinterpret_cast<size_t>(slot), size);
  if (ff.validate() == FLASHFILE_NO_ERROR) {
    counts.valid++;
  }
  if (ff.validateCrc() == FLASHFILE_NO_ERROR) {
    counts.crcOk++;
  }
  FlashFileInfo info;
  for (size_t index = 0; ff.getFileInfo(index, &info) == FLASHFILE_NO_ERROR; index++) {
    const uint8_t *data;
    size_t length;
    if (ff.getFileData(&info, &data, &length) != FLASHFILE_NO_ERROR) {
      fail("getFileData refused an entry of a valid image", iteration);
    }
    checkRange(slot, size, data, length, iteration);
    char buf[13];
    for (size_t offset = 0; ff.readFileData(&info, offset, buf, sizeof(buf)) == FLASHFILE_NO_ERROR; offset += sizeof(buf)) {
    }
    if (ff.getFileDataWithNul(&info, &data, &length) == FLASHFILE_NO_ERROR) {
      checkRange(slot, size, data, length, iteration);
      if (length == 0 || data[length - 1] != 0) {
        fail("getFileDataWithNul without a NUL at the end", iteration);
      }
      counts.nulTerminated++;
    }
    FlashFileStream stream;
    if (stream.open(ff, info.name) == FLASHFILE_NO_ERROR) {
      while (stream.read() >= 0) {
        counts.streamBytes++;
      }
    }
    counts.filesRead++;
  }
  ff.getFileByName("certs/ca.pem", &info);
  free(slot);
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: fuzz <image-file> <iterations> <seed>\n");
    return 2;
  }
  FILE *file = fopen(argv[1], "rb");
  if (file == NULL) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  std::vector<uint8_t> seed(FLASHDATA_STUB_SLOT_SIZE);
  seed.resize(fread(seed.data(), 1, seed.size(), file));
  fclose(file);
  const uint32_t iterations = static_cast<uint32_t>(strtoul(argv[2], NULL, 10));
  state = static_cast<uint32_t>(strtoul(argv[3], NULL, 10)) | 1;
  Counts counts = {0, 0, 0, 0, 0};
  for (uint32_t iteration = 0; iteration < iterations; iteration++) {
    std::vector<uint8_t> bytes = seed;
    for (uint32_t ii = 0, n = 1 + below(4); ii < n; ii++) {
      mutate(bytes);
    }
    if (below(2)) {
      reseal(bytes);
    }
    exercise(bytes, iteration, counts);
  }
  printf("{\"iterations\":%u,\"valid\":%u,\"crcOk\":%u,\"filesRead\":%u,\"nulTerminated\":%u,\"streamBytes\":%u,\"sizeBits\":%u}\n",
         static_cast<unsigned>(iterations), counts.valid, counts.crcOk, counts.filesRead, counts.nulTerminated, counts.streamBytes,
         static_cast<unsigned>(sizeof(size_t) * 8));
  return 0;
}

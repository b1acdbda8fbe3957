/*
 * Host harness for the firmware reader: loads a file into the stand-in flash
 * slot (the rest of the slot reads 0xFF, like erased flash), exercises the
 * library and prints one JSON object per line. Strings are printed as hex so
 * no escaping is needed.
 *
 *   harness <slot-file> [name ...]
 *
 * The names are looked up with getFileByName on a fresh reader before any
 * other call.
 */
#include "Particle.h"

#include "electron-flash-file.h"
#include "flash-file-stream.h"

#include <stdio.h>
#include <string.h>

uint8_t flashdata_stub_slot[FLASHDATA_STUB_SLOT_SIZE];

namespace {

void printHex(const void *data, size_t length) {
  const uint8_t *p = static_cast<const uint8_t *>(data);
  for (size_t ii = 0; ii < length; ii++) {
    printf("%02x", p[ii]);
  }
}

void printHexString(const char *text) {
  printf("\"");
  printHex(text, strlen(text));
  printf("\"");
}

bool loadSlot(const char *path) {
  memset(flashdata_stub_slot, 0xff, sizeof(flashdata_stub_slot));
  FILE *file = fopen(path, "rb");
  if (file == NULL) {
    return false;
  }
  size_t loaded = fread(flashdata_stub_slot, 1, sizeof(flashdata_stub_slot), file);
  bool ok = ferror(file) == 0;
  fclose(file);
  printf("{\"event\":\"loaded\",\"bytes\":%zu}\n", loaded);
  return ok;
}

void lookUp(FlashFile &ff, const char *name) {
  FlashFileInfo info;
  int res = ff.getFileByName(name, &info);
  printf("{\"event\":\"lookup\",\"name\":");
  printHexString(name);
  printf(",\"res\":%d", res);
  const uint8_t *data;
  size_t length;
  if (res == FLASHFILE_NO_ERROR && ff.getFileData(&info, &data, &length) == FLASHFILE_NO_ERROR) {
    printf(",\"data\":\"");
    printHex(data, length);
    printf("\"");
  }
  printf("}\n");
}

// Reads the file in 7-byte pieces so partial reads at the end are exercised.
void printReadBack(FlashFile &ff, const FlashFileInfo &info) {
  char piece[7];
  printf(",\"read\":\"");
  for (size_t offset = 0; offset < info.length; offset += sizeof(piece)) {
    if (ff.readFileData(&info, offset, piece, sizeof(piece)) != FLASHFILE_NO_ERROR) {
      printf("READ-FAILED");
      break;
    }
    size_t count = info.length - offset < sizeof(piece) ? info.length - offset : sizeof(piece);
    printHex(piece, count);
  }
  printf("\"");
}

// The file through FlashFileStream: the first half with read(), the rest
// with Stream::readBytes, then the end, a refused write and seeking.
// Stream keeps its timeout protected, as Device OS's does.
struct StreamProbe : FlashFileStream {
  unsigned long timeout() const { return _timeout; }
};

void printStream(FlashFile &ff, const char *name) {
  StreamProbe stream;
  int res = stream.open(ff, name);
  printf(",\"stream\":{\"open\":%d,\"timeout\":%lu,\"available\":%d,\"size\":%zu,\"peek\":%d,\"data\":\"", res, stream.timeout(), stream.available(),
         stream.size(), stream.peek());
  size_t half = stream.size() / 2;
  while (stream.position() < half) {
    int next = stream.read();
    if (next < 0) {
      printf("READ-FAILED");
      break;
    }
    uint8_t byte = static_cast<uint8_t>(next);
    printHex(&byte, 1);
  }
  char piece[5];
  size_t count;
  while ((count = stream.readBytes(piece, sizeof(piece))) > 0) {
    printHex(piece, count);
  }
  printf("\",\"endAvailable\":%d,\"endRead\":%d,\"endPeek\":%d", stream.available(), stream.read(), stream.peek());
  const uint8_t out[2] = {1, 2};
  size_t wroteByte = stream.write(out[0]);
  size_t wroteBuffer = stream.write(out, sizeof(out));
  printf(",\"written\":%zu,\"writeError\":%d", wroteByte + wroteBuffer, stream.getWriteError());
  bool pastEnd = stream.seek(stream.size() + 1);
  size_t after = stream.position();
  bool rewound = stream.seek(0);
  printf(",\"seekPastEnd\":%s,\"positionAfter\":%zu,\"rewound\":%s,\"firstAgain\":%d}",
         pastEnd ? "true" : "false", after, rewound ? "true" : "false", stream.read());
}

void printFile(FlashFile &ff, size_t index, const FlashFileInfo &info) {
  printf("{\"event\":\"file\",\"index\":%zu,\"name\":", index);
  printHexString(info.name);
  printf(",\"contentType\":");
  printHexString(info.contentType);
  printf(",\"modDate\":%u,\"length\":%u,\"addr\":%u",
         static_cast<unsigned>(info.modDate), static_cast<unsigned>(info.length), static_cast<unsigned>(info.addr));
  printReadBack(ff, info);
  const uint8_t *data = NULL;
  size_t length = 0;
  int res = ff.getFileData(&info, &data, &length);
  printf(",\"dataRes\":%d,\"zeroCopy\":\"", res);
  printHex(data, res == FLASHFILE_NO_ERROR ? length : 0);
  printf("\",\"addressMatches\":%s", ff.getFileAddress(&info) == data ? "true" : "false");
  char byte;
  printf(",\"eofRes\":%d", ff.readFileData(&info, info.length, &byte, 1));
  const uint8_t *withNul = NULL;
  size_t withNulLength = 0;
  int nulRes = ff.getFileDataWithNul(&info, &withNul, &withNulLength);
  printf(",\"nul\":{\"res\":%d,\"length\":%zu,\"samePointer\":%s}", nulRes, withNulLength, withNul == data ? "true" : "false");
  printStream(ff, info.name);
  printf("}\n");
}

// Calls with a FlashFileInfo that does not come from the image, and bad arguments.
void printForged(FlashFile &ff) {
  FlashFileInfo forged;
  memset(&forged, 0, sizeof(forged));
  forged.addr = 0xfffffff0; // addr + length wraps around 2^32 to 0x10
  forged.length = 0x20;
  const uint8_t *data;
  size_t length;
  char buf[16];
  FlashFileInfo info;
  printf("{\"event\":\"forged\",\"readRes\":%d,\"dataRes\":%d,\"addressIsNull\":%s",
         ff.readFileData(&forged, 0, buf, sizeof(buf)), ff.getFileData(&forged, &data, &length),
         ff.getFileAddress(&forged) == NULL ? "true" : "false");
  printf(",\"nullName\":%d,\"nullInfo\":%d,\"negativeLength\":%d",
         ff.getFileByName(NULL, &info), ff.getFileInfo(0, NULL), ff.readFileData(&forged, 0, buf, -1));
  printf(",\"nulRes\":%d,\"nulNullLength\":%d", ff.getFileDataWithNul(&forged, &data, &length), ff.getFileDataWithNul(&forged, &data, NULL));
  FlashFileStream missing;
  int openRes = missing.open(ff, "no such file");
  printf(",\"streamMissing\":{\"open\":%d,\"available\":%d,\"read\":%d,\"peek\":%d}}\n", openRes, missing.available(), missing.read(), missing.peek());
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: harness <slot-file> [name ...]\n");
    return 2;
  }
  if (!loadSlot(argv[1])) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  FlashFile ff;
  for (int ii = 2; ii < argc; ii++) {
    lookUp(ff, argv[ii]);
  }
  printf("{\"event\":\"validate\",\"res\":%d}\n", ff.validate());
  printf("{\"event\":\"crc\",\"res\":%d}\n", ff.validateCrc());
  FlashFileInfo info;
  size_t index = 0;
  int res;
  while ((res = ff.getFileInfo(index, &info)) == FLASHFILE_NO_ERROR) {
    printFile(ff, index, info);
    index++;
  }
  printf("{\"event\":\"end\",\"index\":%zu,\"res\":%d}\n", index, res);
  printForged(ff);
  printf("{\"event\":\"crc32\",\"check\":\"%08x\"}\n", static_cast<unsigned>(FlashFile::crc32("123456789", 9)));
  printf("{\"event\":\"build\",\"sizeBits\":%u}\n", static_cast<unsigned>(sizeof(size_t) * 8));
  return 0;
}

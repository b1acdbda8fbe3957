/*
 * Host driver for the sector writer, the updater and the installer, run
 * against the flash interface model (flash-model.cpp). Each scenario prints
 * JSON lines that flash-write.test.ts checks.
 *
 *   flash-write <image-file> model | writer
 *   flash-write <image-file> chunks <old-image-file> <size>...   (0: random sizes up to 4 KiB)
 *   flash-write <image-file> hostile <old-image-file>
 *   flash-write <image-file> cuts <old-image-file> update|install <chunk> <stride>
 *   flash-write <image-file> install <old-image-file>
 */
#include "Particle.h"

#include "electron-flash-file.h"
#include "flash-image-updater.h"
#include "flash-model.h"
#include "flash-registers.h"
#include "flash-sector-writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vector>

uint8_t flashdata_stub_slot[FLASHDATA_STUB_SLOT_SIZE];

namespace {

using namespace flashdata;
namespace fm = flashmodel;

const uint32_t S9 = FLASHWRITE_SECTOR_START;

struct Hashes {
  uint64_t sector[fm::SECTORS];
  Hashes() {
    for (int n = 0; n < fm::SECTORS; n++) {
      sector[n] = fm::sectorHash(n);
    }
  }
};

// Which sectors differ from `before`, as a JSON array.
void printChanged(const Hashes &before) {
  Hashes after;
  printf("\"changed\":[");
  const char *sep = "";
  for (int n = 0; n < fm::SECTORS; n++) {
    if (after.sector[n] != before.sector[n]) {
      printf("%s%d", sep, n);
      sep = ",";
    }
  }
  printf("]");
}

// One line for a writer call: its result, what it did to the interface and to flash.
void printCase(const char *name, int res, const Hashes &before) {
  const fm::Stats &st = fm::stats();
  unsigned long erases = 0;
  for (int n = 0; n < fm::SECTORS; n++) {
    erases += st.erases[n];
  }
  printf("{\"case\":\"%s\",\"res\":%d,\"writes\":%lu,\"erases\":%lu,\"erased9\":%lu,\"programmed\":%lu,", name, res, st.writes,
         erases, st.erases[9], st.programmed);
  printChanged(before);
  printf(",\"locked\":%s,\"irqMasked\":%s,\"writesIrqOn\":%lu,\"faults\":%lu}\n", (fm::cr() >> 31) ? "true" : "false",
         fm::irqMasked() ? "true" : "false", st.writesIrqOn, st.faults);
}

void fresh() {
  fm::protect(0);
  fm::reset();
  fm::fillPattern();
}

bool allErased(uint32_t address, size_t length) {
  for (size_t ii = 0; ii < length; ii++) {
    if (*fm::at(address + static_cast<uint32_t>(ii)) != 0xff) {
      return false;
    }
  }
  return true;
}

// ---- the model against RM0033 -------------------------------------------

const uint32_t KEY1 = 0x45670123, KEY2 = 0xcdef89ab;
const uint32_t CR_PG = 1, CR_SER = 2, CR_STRT = 1u << 16, X32 = 2u << 8, X8 = 0;

void unlockModel() {
  reg::write(reg::KEYR, KEY1);
  reg::write(reg::KEYR, KEY2);
}

uint32_t word(uint32_t address) {
  return reg::readFlash(address);
}

void checkModel() {
  fresh();
  uint32_t irq = reg::disableIrq();
  reg::write(reg::CR, X32 | CR_PG);
  bool crIgnoredWhileLocked = fm::cr() == 0x80000000u && fm::stats().ignoredWrites == 1;
  reg::write(reg::KEYR, KEY2); // wrong first key
  unlockModel();
  // The right keys after a wrong one are bus errors too, and leave it locked.
  bool wrongKeyLocksUntilReset = (fm::cr() >> 31) == 1 && fm::stats().faults == 3;
  fm::reset();
  irq = reg::disableIrq();
  unlockModel();
  bool unlockedAfterReset = (fm::cr() >> 31) == 0;

  // Erase sector 8 (SNB 8) to 0xFF.
  reg::write(reg::CR, X32 | CR_SER | (8u << 3));
  reg::write(reg::CR, X32 | CR_SER | (8u << 3) | CR_STRT);
  bool busyAfterStart = (reg::read(reg::SR) >> 16) & 1;
  while ((reg::read(reg::SR) >> 16) & 1) {
  }
  bool eraseTo0xff = allErased(0x08080000, 0x20000) && fm::stats().erases[8] == 1;
  reg::write(reg::CR, 0);

  // A word without PG: PGSERR, nothing written.
  reg::writeFlash(0x08080000, 0x12345678);
  bool pgsWithoutPg = fm::sr() == 0x80 && word(0x08080000) == 0xffffffff;
  reg::write(reg::SR, 0xf3);
  // x8 parallelism with a word access: PGPERR.
  reg::write(reg::CR, X8 | CR_PG);
  reg::writeFlash(0x08080000, 0x12345678);
  bool pgpForWrongSize = fm::sr() == 0x40 && word(0x08080000) == 0xffffffff;
  reg::write(reg::SR, 0xf3);
  reg::write(reg::CR, X32 | CR_PG);
  reg::writeFlash(0x08080002, 0x12345678);
  bool pgaMisaligned = fm::sr() == 0x20;
  reg::write(reg::SR, 0xf3);
  bool flagsClearByWritingOne = fm::sr() == 0;
  reg::writeFlash(0x08080000, 0xff00ff00);
  reg::writeFlash(0x08080000, 0x0f0f0f0f);
  bool programOnlyClears = word(0x08080000) == 0x0f000f00;
  fm::protect(1u << 8);
  reg::writeFlash(0x08080004, 0);
  bool wrpOnProgram = fm::sr() == 0x10 && word(0x08080004) == 0xffffffff;
  reg::write(reg::SR, 0xf3);
  reg::write(reg::CR, X32 | CR_SER | (8u << 3) | CR_STRT);
  bool wrpOnErase = fm::sr() == 0x10 && word(0x08080000) == 0x0f000f00;
  fm::protect(0);

  // Power cuts: before a write it has no effect, after it it has.
  reg::write(reg::CR, X32 | CR_PG);
  fm::cutAt(fm::stats().writes, false);
  bool cutBefore = false;
  try {
    reg::writeFlash(0x08080008, 0);
  } catch (const fm::PowerCut &) {
    cutBefore = word(0x08080008) == 0xffffffff;
  }
  fm::reset();
  bool resetLocks = fm::cr() == 0x80000000u && !fm::irqMasked();
  reg::disableIrq();
  unlockModel();
  reg::write(reg::CR, X32 | CR_PG);
  fm::cutAt(fm::stats().writes, true);
  bool cutAfter = false;
  try {
    reg::writeFlash(0x08080008, 0xfffffff0);
  } catch (const fm::PowerCut &) {
    uint32_t left = word(0x08080008);
    cutAfter = (left | 0xf) == 0xffffffff; // only the bits being cleared may have changed
  }
  reg::restoreIrq(irq);
  printf("{\"model\":{\"crIgnoredWhileLocked\":%d,\"wrongKeyLocksUntilReset\":%d,\"unlockedAfterReset\":%d,"
         "\"busyAfterStart\":%d,\"eraseTo0xff\":%d,\"pgsWithoutPg\":%d,\"pgpForWrongSize\":%d,\"pgaMisaligned\":%d,"
         "\"flagsClearByWritingOne\":%d,\"programOnlyClears\":%d,\"wrpOnProgram\":%d,\"wrpOnErase\":%d,"
         "\"cutBefore\":%d,\"resetLocks\":%d,\"cutAfter\":%d}}\n",
         crIgnoredWhileLocked, wrongKeyLocksUntilReset, unlockedAfterReset, busyAfterStart, eraseTo0xff, pgsWithoutPg,
         pgpForWrongSize, pgaMisaligned, flagsClearByWritingOne, programOnlyClears, wrpOnProgram, wrpOnErase,
         cutBefore, resetLocks, cutAfter);
}

// ---- the writer ----------------------------------------------------------

void checkWriter() {
  uint8_t data[256];
  for (size_t ii = 0; ii < sizeof(data); ii++) {
    data[ii] = static_cast<uint8_t>(ii * 37 + 1);
  }
  {
    fresh();
    Hashes before;
    int res = FlashSectorWriter::eraseSector();
    printCase("erase", res, before);
    printf("{\"case\":\"erased\",\"all\":%s}\n", allErased(S9, FLASHWRITE_SECTOR_SIZE) ? "true" : "false");
  }
  {
    fresh();
    FlashSectorWriter::eraseSector();
    fm::reset();
    Hashes before;
    // Unaligned source, at both ends of the sector.
    int first = FlashSectorWriter::program(S9, data + 1, 200);
    int last = FlashSectorWriter::program(S9 + FLASHWRITE_SECTOR_SIZE - 52, data + 3, 52);
    bool same = memcmp(fm::at(S9), data + 1, 200) == 0 && memcmp(fm::at(S9 + FLASHWRITE_SECTOR_SIZE - 52), data + 3, 52) == 0;
    printCase("program", first != 0 ? first : last, before);
    printf("{\"case\":\"programmed\",\"same\":%s}\n", same ? "true" : "false");
  }
  // Addresses and lengths that reach outside the sector, or are misaligned: refused untouched.
  struct Range {
    const char *name;
    uint32_t address;
    size_t length;
  } ranges[] = {
    {"sector 8's last word", S9 - 4, 4},
    {"into sector 8", S9 - 4, 8},
    {"sector 10", S9 + FLASHWRITE_SECTOR_SIZE, 4},
    {"past the end", S9 + FLASHWRITE_SECTOR_SIZE - 4, 8},
    {"sector 0", 0x08000000, 4},
    {"wraps around", 0xfffffffc, 8},
    {"length wraps", S9 + 4, static_cast<size_t>(0) - 4},
    {"the whole flash", 0x08000000, 0x100000},
    {"misaligned address", S9 + 2, 4},
    {"misaligned length", S9, 6},
  };
  for (const Range &range : ranges) {
    fresh();
    Hashes before;
    printCase(range.name, FlashSectorWriter::program(range.address, data, range.length), before);
  }
  {
    fresh();
    Hashes before;
    printCase("NULL data", FlashSectorWriter::program(S9, NULL, 4), before);
  }
  {
    fresh();
    FlashSectorWriter::eraseSector();
    uint32_t zero = 0, ones = 0xffffffff;
    FlashSectorWriter::program(S9 + 8, &zero, 4);
    fm::reset();
    Hashes before;
    printCase("needs a 0 set to 1", FlashSectorWriter::program(S9 + 4, data, 8), before);
    fm::reset();
    printCase("0xFF over 0", FlashSectorWriter::program(S9 + 8, &ones, 4), before);
    fm::reset();
    printCase("same value again", FlashSectorWriter::program(S9 + 8, &zero, 4), before);
  }
  {
    fresh();
    fm::protect(1u << 9);
    Hashes before;
    printCase("erase, sector 9 write-protected", FlashSectorWriter::eraseSector(), before);
    fm::reset();
    uint32_t value = 0;
    printCase("program, sector 9 write-protected", FlashSectorWriter::program(S9, &value, 4), before);
  }
  struct Failure {
    const char *name;
    uint32_t flags;
  } failures[] = {{"PGPERR", 0x40}, {"PGAERR", 0x20}, {"PGSERR", 0x80}, {"OPERR", 0x02}};
  for (const Failure &failure : failures) {
    fresh();
    FlashSectorWriter::eraseSector();
    fm::reset();
    Hashes before;
    fm::failNext(failure.flags);
    printCase(failure.name, FlashSectorWriter::program(S9, data, 8), before);
  }
  {
    fresh();
    Hashes before;
    fm::failNext(0x02);
    printCase("erase OPERR", FlashSectorWriter::eraseSector(), before);
  }
  {
    fresh();
    FlashSectorWriter::eraseSector();
    fm::reset();
    fm::otherUserUnlocks();
    Hashes before;
    printCase("interface unlocked by Device OS", FlashSectorWriter::eraseSector(), before);
    fm::reset();
    fm::otherUserBusy();
    printCase("interface busy", FlashSectorWriter::program(S9, data, 4), before);
    fm::reset();
    fm::lockUntilReset();
    printCase("locked until reset", FlashSectorWriter::eraseSector(), before);
  }
}

// ---- the updater and the installer ---------------------------------------

typedef std::vector<uint8_t> Bytes;

Bytes readFile(const char *path) {
  Bytes bytes;
  FILE *file = fopen(path, "rb");
  if (file == NULL) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(2);
  }
  int c;
  while ((c = fgetc(file)) != EOF) {
    bytes.push_back(static_cast<uint8_t>(c));
  }
  fclose(file);
  return bytes;
}

// Sector 9 holding `image` as DFU would leave it (the rest erased), registers at power-on.
void boot(const Bytes &image) {
  memset(flashdata_stub_slot, 0xff, FLASHDATA_STUB_SLOT_SIZE);
  fm::load(S9, image.data(), image.size());
  fm::reset();
}

bool sectorHolds(const Bytes &image) {
  return memcmp(flashdata_stub_slot, image.data(), image.size()) == 0 &&
         allErased(S9 + static_cast<uint32_t>(image.size()), FLASHDATA_STUB_SLOT_SIZE - image.size());
}

uint32_t nextRandom(uint32_t &state) {
  state = state * 1103515245u + 12345u;
  return state >> 8;
}

// begin, write in chunks of `chunk` bytes (0: random sizes from 1 to 4096), end.
int update(const Bytes &image, size_t chunk) {
  FlashImageUpdater updater;
  int res = updater.begin(image.data(), image.size() < 48 ? image.size() : 48);
  uint32_t state = 1;
  for (size_t done = 0; res == FLASHWRITE_OK && done < image.size();) {
    size_t size = chunk != 0 ? chunk : 1 + nextRandom(state) % 4096;
    size = size < image.size() - done ? size : image.size() - done;
    res = updater.write(image.data() + done, size);
    done += size;
  }
  return res == FLASHWRITE_OK ? updater.end() : res;
}

void checkChunks(const Bytes &image, const Bytes &old, char **sizes, int count) {
  fresh();
  Hashes before;
  for (int ii = 0; ii < count; ii++) {
    size_t chunk = strtoul(sizes[ii], NULL, 10);
    boot(old);
    int res = update(image, chunk);
    FlashFile ff;
    printf("{\"chunk\":%zu,\"res\":%d,\"holdsImage\":%s,\"crc\":%d,\"writesIrqOn\":%lu,\"faults\":%lu,", chunk, res,
           sectorHolds(image) ? "true" : "false", ff.validateCrc(), fm::stats().writesIrqOn, fm::stats().faults);
    Hashes now;
    now.sector[9] = before.sector[9];
    printChanged(now);
    printf("}\n");
  }
}

// Refused at begin(): nothing written, the old image still there and valid.
void printRefusal(const char *name, int res, const Bytes &old) {
  FlashFile ff;
  printf("{\"hostile\":\"%s\",\"res\":%d,\"writes\":%lu,\"oldIntact\":%s,\"oldValid\":%s}\n", name, res,
         fm::stats().writes, sectorHolds(old) ? "true" : "false", ff.validateCrc() == FLASHFILE_NO_ERROR ? "true" : "false");
}

void putU32(Bytes &bytes, size_t offset, uint32_t value) {
  memcpy(bytes.data() + offset, &value, 4);
}

void checkHostile(const Bytes &image, const Bytes &old) {
  fresh();
  struct Header {
    const char *name;
    size_t offset;
    uint32_t value;
  } headers[] = {
    {"wrong magic", 0, 0xe0917762},
    {"erased magic", 0, 0xffffffff},
    {"version 2", 4, 2},
    {"totalSize 131073", 12, 131073},
    {"totalSize 0xFFFFFFFF", 12, 0xffffffff},
    {"totalSize 47", 12, 47},
    {"numFiles past totalSize", 8, 0x40000000},
    {"numFiles that wraps 80 x n", 8, 0xcccccccd},
  };
  for (const Header &h : headers) {
    Bytes bad = image;
    putU32(bad, h.offset, h.value);
    boot(old);
    FlashImageUpdater updater;
    printRefusal(h.name, updater.begin(bad.data(), 48), old);
  }
  boot(old);
  FlashImageUpdater updater;
  printRefusal("47 header bytes", updater.begin(image.data(), 47), old);
  printRefusal("NULL header", updater.begin(NULL, 48), old);
  printRefusal("write before begin", updater.write(image.data(), 4), old);
  printRefusal("end before begin", updater.end(), old);
  bool installed = true;
  Bytes corrupt = image;
  corrupt.back() ^= 1;
  printRefusal("install: a copy with a wrong CRC", FlashImageUpdater::installIfDifferent(corrupt.data(), corrupt.size(), &installed), old);
  printRefusal("install: length not totalSize", FlashImageUpdater::installIfDifferent(image.data(), image.size() - 1, &installed), old);
  printf("{\"hostile\":\"installed flag\",\"installed\":%s}\n", installed ? "true" : "false");

  // Found after the erase: the sector is left with no valid image.
  Bytes otherHeader = image;
  otherHeader[20] ^= 1;
  Bytes longer = image;
  longer.push_back(0);
  struct Late {
    const char *name;
    const Bytes &head; // what begin() is given
    const Bytes &bytes; // what write() is given
    size_t writeLength;
    bool callEnd;
  } late[] = {
    {"wrong CRC", corrupt, corrupt, corrupt.size(), true},
    {"header differs from begin's", image, otherHeader, image.size(), false},
    {"more bytes than totalSize", image, longer, longer.size(), false},
    {"end before the last byte", image, image, image.size() - 1, true},
  };
  Bytes badEntry = image;
  putU32(badEntry, 48 + 0x28, 0xfffffff0); // the first file's addr
  for (const Late &l : late) {
    boot(old);
    FlashImageUpdater u;
    int res = u.begin(l.head.data(), 48);
    if (res == FLASHWRITE_OK) {
      res = u.write(l.bytes.data(), l.writeLength);
    }
    if (res == FLASHWRITE_OK && l.callEnd) {
      res = u.end();
    }
    int after = u.write(image.data(), 1);
    FlashFile ff;
    printf("{\"late\":\"%s\",\"res\":%d,\"next\":%d,\"validate\":%d,\"crc\":%d,\"magic\":%u}\n", l.name, res, after,
           ff.validate(), ff.validateCrc(), static_cast<unsigned>(reg::readFlash(S9)));
  }
  {
    // An entry pointing outside the image, with its CRC made right.
    boot(old);
    putU32(badEntry, 16, 0);
    FlashFileHeader hdr;
    memcpy(&hdr, badEntry.data(), 48);
    uint32_t crc = FlashFile::crc32(badEntry.data(), badEntry.size());
    putU32(badEntry, 16, crc);
    FlashImageUpdater u;
    int res = u.begin(badEntry.data(), 48);
    if (res == FLASHWRITE_OK) {
      res = u.write(badEntry.data(), badEntry.size());
    }
    if (res == FLASHWRITE_OK) {
      res = u.end();
    }
    FlashFile ff;
    printf("{\"late\":\"an entry outside the image\",\"res\":%d,\"validate\":%d,\"magic\":%u}\n", res, ff.validate(),
           static_cast<unsigned>(reg::readFlash(S9)));
  }
  {
    boot(old);
    FlashImageUpdater u;
    u.begin(image.data(), 48);
    u.write(image.data(), image.size() / 2);
    u.abort();
    int then = u.end();
    FlashFile ff;
    int validate = ff.validate();
    int again = update(image, 100);
    printf("{\"late\":\"abort\",\"next\":%d,\"validate\":%d,\"again\":%d,\"crc\":%d}\n", then, validate, again,
           ff.validateCrc());
  }
}

// What the reader makes of sector 9 after a power cut: the old image or the
// new one, byte for byte, or nothing valid. "mixed": something else passed
// validate() or validateCrc().
const char *readerState(const Bytes &image, const Bytes &old) {
  FlashFile ff;
  bool structure = ff.validate() == FLASHFILE_NO_ERROR;
  bool crc = ff.validateCrc() == FLASHFILE_NO_ERROR;
  if (!structure && !crc) {
    return "none";
  }
  if (crc && sectorHolds(old)) {
    return "old";
  }
  if (crc && memcmp(flashdata_stub_slot, image.data(), image.size()) == 0) {
    return "new";
  }
  return "mixed";
}

int runInstall(const Bytes &image, bool *installed) {
  return FlashImageUpdater::installIfDifferent(image.data(), image.size(), installed);
}

// Cuts the power at every `stride`-th write of an update (or an install),
// before and after the write, then boots again and updates (installs) once more.
void checkCuts(const Bytes &image, const Bytes &old, bool install, size_t chunk, unsigned long stride) {
  fresh();
  Hashes before;
  boot(old);
  bool installed;
  int res = install ? runInstall(image, &installed) : update(image, chunk);
  unsigned long steps = fm::stats().writes;
  unsigned long runs = 0, none = 0, olds = 0, news = 0, mixed = 0, retryFailed = 0, lastOld = 0, firstNew = steps,
                otherSectors = 0, faults = 0, irqOn = 0, unguarded = 0;
  // Every stride-th write, and the last 8 (where the magic goes in) whatever the stride.
  const unsigned long tail = steps > 8 ? steps - 8 : 0;
  for (unsigned long step = 0; step < steps; step = step >= tail ? step + 1 : step + stride < tail ? step + stride : tail) {
    for (int after = 0; after < 2; after++) {
      boot(old);
      fm::cutAt(step, after != 0);
      bool cut = false;
      try {
        if (install) {
          runInstall(image, &installed);
        } else {
          update(image, chunk);
        }
      } catch (const fm::PowerCut &) {
        cut = true;
      }
      faults += fm::stats().faults;
      irqOn += fm::stats().writesIrqOn;
      fm::reset(); // the power comes back: registers reset, flash as the cut left it
      const char *state = cut ? readerState(image, old) : "no cut";
      // Bits 31 and 16 of the first word keep Device OS's factory-reset check off the sector.
      unguarded += (reg::readFlash(S9) & 0x80010000u) != 0x80010000u;
      none += strcmp(state, "none") == 0;
      mixed += strcmp(state, "mixed") == 0 || !cut;
      if (strcmp(state, "old") == 0) {
        olds++;
        lastOld = step;
      }
      if (strcmp(state, "new") == 0) {
        news++;
        firstNew = step < firstNew ? step : firstNew;
      }
      // The next boot: the update or the install again must succeed.
      int again = install ? runInstall(image, &installed) : update(image, chunk);
      retryFailed += again != FLASHWRITE_OK || strcmp(readerState(image, old), "new") != 0;
      Hashes now;
      now.sector[9] = before.sector[9];
      for (int n = 0; n < fm::SECTORS; n++) {
        otherSectors += now.sector[n] != before.sector[n];
      }
      runs++;
    }
  }
  printf("{\"cuts\":\"%s\",\"res\":%d,\"steps\":%lu,\"runs\":%lu,\"none\":%lu,\"old\":%lu,\"new\":%lu,\"mixed\":%lu,"
         "\"retryFailed\":%lu,\"lastOld\":%lu,\"firstNew\":%lu,\"otherSectors\":%lu,\"faults\":%lu,\"writesIrqOn\":%lu,\"unguarded\":%lu}\n",
         install ? "install" : "update", res, steps, runs, none, olds, news, mixed, retryFailed, lastOld, firstNew, otherSectors,
         faults, irqOn, unguarded);
}

void checkInstall(const Bytes &image, const Bytes &old) {
  fresh();
  boot(old);
  bool first = false, second = true;
  int res1 = runInstall(image, &first);
  fm::reset();
  int res2 = runInstall(image, &second);
  FlashFile ff;
  printf("{\"install\":{\"first\":%d,\"installed\":%s,\"second\":%d,\"installedAgain\":%s,\"writesAgain\":%lu,\"crc\":%d}}\n",
         res1, first ? "true" : "false", res2, second ? "true" : "false", fm::stats().writes, ff.validateCrc());
}

} // namespace

int main(int argc, char **argv) {
  const char *scenario = argc > 2 ? argv[2] : "";
  if (strcmp(scenario, "model") == 0) {
    checkModel();
  } else if (strcmp(scenario, "writer") == 0) {
    checkWriter();
  } else if (argc > 3 && strcmp(scenario, "chunks") == 0) {
    checkChunks(readFile(argv[1]), readFile(argv[3]), argv + 4, argc - 4);
  } else if (argc > 3 && strcmp(scenario, "hostile") == 0) {
    checkHostile(readFile(argv[1]), readFile(argv[3]));
  } else if (argc > 6 && strcmp(scenario, "cuts") == 0) {
    checkCuts(readFile(argv[1]), readFile(argv[3]), strcmp(argv[4], "install") == 0, strtoul(argv[5], NULL, 10),
              strtoul(argv[6], NULL, 10));
  } else if (argc > 3 && strcmp(scenario, "install") == 0) {
    checkInstall(readFile(argv[1]), readFile(argv[3]));
  } else {
    fprintf(stderr, "usage: flash-write <image-file> model|writer\n");
    return 2;
  }
  printf("{\"build\":{\"sizeBits\":%u}}\n", static_cast<unsigned>(sizeof(size_t) * 8));
  return 0;
}

/*
 * Host driver for the sector writer, the updater and the installer, run
 * against the flash interface model (flash-model.cpp). Each scenario prints
 * JSON lines that flash-write.test.ts checks.
 *
 *   flash-write <image-file> model | writer
 */
#include "Particle.h"

#include "electron-flash-file.h"
#include "flash-model.h"
#include "flash-registers.h"
#include "flash-sector-writer.h"

#include <stdio.h>
#include <string.h>

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

} // namespace

int main(int argc, char **argv) {
  const char *scenario = argc > 2 ? argv[2] : "";
  if (strcmp(scenario, "model") == 0) {
    checkModel();
  } else if (strcmp(scenario, "writer") == 0) {
    checkWriter();
  } else {
    fprintf(stderr, "usage: flash-write <image-file> model|writer\n");
    return 2;
  }
  printf("{\"build\":{\"sizeBits\":%u}}\n", static_cast<unsigned>(sizeof(size_t) * 8));
  return 0;
}

#include "flash-model.h"

#include "Particle.h"
#include "flash-registers.h"

#include <stdlib.h>
#include <string.h>

using flashdata::reg::Register;

namespace flashmodel {
namespace {

// Bits as RM0033's FLASH_SR and FLASH_CR descriptions give them.
const uint32_t SR_OPERR = 1u << 1, SR_WRPERR = 1u << 4, SR_PGAERR = 1u << 5, SR_PGPERR = 1u << 6,
               SR_PGSERR = 1u << 7, SR_BSY = 1u << 16;
const uint32_t SR_CLEARABLE = 1u | SR_OPERR | SR_WRPERR | SR_PGAERR | SR_PGPERR | SR_PGSERR;
const uint32_t CR_PG = 1u << 0, CR_SER = 1u << 1, CR_MER = 1u << 2, CR_SNB = 0xfu << 3, CR_PSIZE = 3u << 8,
               CR_STRT = 1u << 16, CR_LOCK = 1u << 31;
const uint32_t PSIZE_X32 = 2u << 8;
const uint32_t KEY1 = 0x45670123, KEY2 = 0xcdef89ab;
const unsigned BUSY_READS = 3;

uint8_t flash[FLASH_SIZE]; // sector 9's part is unused: it lives in flashdata_stub_slot

struct State {
  uint32_t cr, sr;
  int keyStage;             // 0: expecting KEY1, 1: expecting KEY2
  bool lockedUntilReset;
  bool irqMasked;
  unsigned busyReads;
  uint32_t failFlags;
  uint16_t protectedSectors;
  long cutIndex;
  bool cutAfter;
  Stats stats;
} s;

uint32_t rng = 1;
uint32_t random32() {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

// Sector n's start and size (RM0033's organisation table).
uint32_t sectorStart(int n) {
  return n < 4 ? FLASH_BASE + n * 0x4000 : n == 4 ? 0x08010000 : 0x08020000 + (n - 5) * 0x20000;
}
uint32_t sectorSize(int n) {
  return n < 4 ? 0x4000 : n == 4 ? 0x10000 : 0x20000;
}

// A write: counted, and the place where the power can go.
struct WriteStep {
  unsigned long index;
  WriteStep() : index(s.stats.writes++) {
    if (!s.irqMasked) {
      s.stats.writesIrqOn++;
    }
    if (static_cast<long>(index) == s.cutIndex && !s.cutAfter) {
      throw PowerCut();
    }
  }
  bool cutsAfter() const { return static_cast<long>(index) == s.cutIndex && s.cutAfter; }
};

void eraseSector(int n, bool cut) {
  uint8_t *base = at(sectorStart(n));
  for (uint32_t ii = 0; ii < sectorSize(n); ii++) {
    // Cut short, each cell is somewhere between its old value and erased.
    base[ii] = cut ? static_cast<uint8_t>(base[ii] | random32()) : 0xff;
  }
  s.stats.erases[n]++;
}

void startOperation(uint32_t cr, bool cut) {
  if (!(cr & CR_STRT)) {
    return;
  }
  s.busyReads = BUSY_READS;
  // SER and MER together erase nothing (RM0033 "Erase").
  if (!(cr & CR_SER) || (cr & CR_MER)) {
    return;
  }
  int n = static_cast<int>((cr & CR_SNB) >> 3);
  if (s.failFlags) {
    s.sr |= s.failFlags;
    s.failFlags = 0;
  } else if (n >= SECTORS) {
    s.sr |= SR_OPERR;
  } else if (s.protectedSectors & (1u << n)) {
    s.sr |= SR_WRPERR;
  } else {
    eraseSector(n, cut);
  }
}

void writeCr(uint32_t value, bool cut) {
  if ((s.cr & CR_LOCK) || s.lockedUntilReset) {
    s.stats.ignoredWrites++;
    return;
  }
  s.cr = value & ~CR_STRT; // STRT reads back cleared once the operation has started
  startOperation(value, cut);
}

void writeKeyr(uint32_t value) {
  bool expected = (s.cr & CR_LOCK) && !s.lockedUntilReset && value == (s.keyStage == 0 ? KEY1 : KEY2);
  if (!expected) {
    // RM0033 "Unlocking the Flash control register": a wrong sequence is a
    // bus error and locks FLASH_CR until the next reset.
    s.stats.faults++;
    s.lockedUntilReset = true;
    s.cr |= CR_LOCK;
    return;
  }
  s.keyStage++;
  if (s.keyStage == 2) {
    s.keyStage = 0;
    s.cr &= ~CR_LOCK;
  }
}

} // namespace

uint8_t *at(uint32_t address) {
  if (address >= sectorStart(9) && address - sectorStart(9) < sectorSize(9)) {
    return flashdata_stub_slot + (address - sectorStart(9));
  }
  return flash + (address - FLASH_BASE);
}

int sectorOf(uint32_t address) {
  for (int n = SECTORS - 1; n >= 0; n--) {
    if (address >= sectorStart(n)) {
      return n;
    }
  }
  return -1;
}

void reset() {
  uint16_t keep = s.protectedSectors;
  memset(&s, 0, sizeof(s));
  s.cr = CR_LOCK;
  s.cutIndex = -1;
  s.protectedSectors = keep;
}

void fillPattern() {
  for (uint32_t address = FLASH_BASE; address < FLASH_BASE + FLASH_SIZE; address++) {
    *at(address) = static_cast<uint8_t>((address * 2654435761u) >> 24);
  }
}

void load(uint32_t address, const uint8_t *data, size_t length) {
  for (size_t ii = 0; ii < length; ii++) {
    *at(address + static_cast<uint32_t>(ii)) = data[ii];
  }
}

uint64_t sectorHash(int sector) {
  uint64_t hash = 14695981039346656037ull;
  const uint8_t *base = at(sectorStart(sector));
  for (uint32_t ii = 0; ii < sectorSize(sector); ii++) {
    hash = (hash ^ base[ii]) * 1099511628211ull;
  }
  return hash;
}

const Stats &stats() { return s.stats; }
uint32_t cr() { return s.cr; }
uint32_t sr() { return s.sr; }
bool irqMasked() { return s.irqMasked; }
void cutAt(unsigned long index, bool after) {
  s.cutIndex = static_cast<long>(index);
  s.cutAfter = after;
}
void protect(uint16_t sectorMask) { s.protectedSectors = sectorMask; }
void failNext(uint32_t srFlags) { s.failFlags = srFlags; }
void otherUserUnlocks() { s.cr &= ~CR_LOCK; }
void otherUserBusy() { s.busyReads = 1000000; }
void lockUntilReset() {
  s.lockedUntilReset = true;
  s.cr |= CR_LOCK;
}
void seed(uint32_t value) { rng = value ? value : 1; }

} // namespace flashmodel

// The register layer, as the library calls it.
namespace flashdata {
namespace reg {

using namespace flashmodel;

uint32_t read(Register r) {
  if (r == SR) {
    if (s.busyReads > 0) {
      s.busyReads--;
      return s.sr | SR_BSY;
    }
    return s.sr;
  }
  return r == CR ? s.cr : 0; // KEYR reads as 0
}

void write(Register r, uint32_t value) {
  WriteStep step;
  if (r == KEYR) {
    writeKeyr(value);
  } else if (r == SR) {
    s.sr &= ~(value & SR_CLEARABLE);
  } else if (r == CR) {
    writeCr(value, step.cutsAfter());
  }
  if (step.cutsAfter()) {
    throw PowerCut();
  }
}

uint32_t readFlash(uint32_t address) {
  if (address < FLASH_BASE || address - FLASH_BASE > FLASH_SIZE - 4) {
    s.stats.faults++;
    return 0;
  }
  uint32_t value;
  memcpy(&value, at(address), 4);
  return value;
}

void writeFlash(uint32_t address, uint32_t value) {
  WriteStep step;
  if (address < FLASH_BASE || address - FLASH_BASE > FLASH_SIZE - 4) {
    s.stats.faults++;
  } else if (!(s.cr & CR_PG) || (s.cr & CR_LOCK)) {
    s.sr |= SR_PGSERR; // RM0033 "Programming errors": a write without PG
  } else if ((s.cr & CR_PSIZE) != PSIZE_X32) {
    s.sr |= SR_PGPERR; // a 32-bit access needs x32 parallelism
  } else if (address % 4 != 0) {
    s.sr |= SR_PGAERR;
  } else if (s.failFlags) {
    s.sr |= s.failFlags;
    s.failFlags = 0;
  } else if (s.protectedSectors & (1u << sectorOf(address))) {
    s.sr |= SR_WRPERR;
  } else {
    uint32_t old;
    memcpy(&old, at(address), 4);
    // Programming only clears bits; cut short, any of them may be left set.
    uint32_t cleared = old & ~value;
    uint32_t now = old & ~(step.cutsAfter() ? cleared & random32() : cleared);
    memcpy(at(address), &now, 4);
    s.stats.programmed++;
    s.busyReads = BUSY_READS;
  }
  if (step.cutsAfter()) {
    throw PowerCut();
  }
}

uint32_t disableIrq() {
  uint32_t previous = s.irqMasked ? 1 : 0;
  s.irqMasked = true;
  return previous;
}

void restoreIrq(uint32_t previous) {
  s.irqMasked = previous != 0;
}

} // namespace reg
} // namespace flashdata

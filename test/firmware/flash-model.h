/*
 * A register-level model of the STM32F205's flash interface, written from
 * RM0033 ("Embedded Flash memory interface"), that takes the place of
 * firmware/src/flash-registers-stm32f2.cpp in host builds. It is a test
 * double: the library is checked against it and against ST's documented
 * sequence, not against a board.
 *
 * Modelled: the 1 MiB of flash in its 12 sectors (sector 9 is the reader's
 * stand-in slot, flashdata_stub_slot); KEYR's unlock sequence (a wrong one
 * locks FLASH_CR until reset and counts a bus fault); CR ignored while
 * locked; PSIZE; programming that only clears bits; erase to 0xFF; SR's BSY
 * for a few reads after each operation and its error flags (PGSERR without
 * PG, PGPERR for an access that is not PSIZE's, PGAERR for a misaligned
 * word, WRPERR for a write-protected sector), cleared by writing 1; the
 * interrupt mask. A power cut can be set before or after any write to a
 * register or to flash: an erase or a word cut short leaves its bits
 * indeterminate (random), and the model throws PowerCut.
 */
#ifndef FLASHDATA_TEST_FLASH_MODEL_H
#define FLASHDATA_TEST_FLASH_MODEL_H

#include <stddef.h>
#include <stdint.h>

namespace flashmodel {

struct PowerCut {};

const uint32_t FLASH_BASE = 0x08000000;
const uint32_t FLASH_SIZE = 0x100000;
const int SECTORS = 12;

struct Stats {
  unsigned long writes;        // register and flash writes since reset()
  unsigned long faults;        // bus faults: wrong key sequence, access outside flash
  unsigned long writesIrqOn;   // writes made with interrupts enabled
  unsigned long ignoredWrites; // CR written while locked
  unsigned long erases[SECTORS];
  unsigned long programmed;    // words programmed
};

/** Power-on: registers to their reset values (CR locked), flash kept, counters cleared. */
void reset();
/** Fills all of flash (sector 9 included) with a fixed pattern. */
void fillPattern();
/** Copies `length` bytes into flash at `address` without any register (a factory state). */
void load(uint32_t address, const uint8_t *data, size_t length);
uint8_t *at(uint32_t address);
/** A 64-bit FNV-1a hash of a sector's bytes. */
uint64_t sectorHash(int sector);
int sectorOf(uint32_t address);

const Stats &stats();
uint32_t cr();
uint32_t sr();
bool irqMasked();

/** The next write with this index (0-based since reset()) cuts the power, before or after it takes effect. */
void cutAt(unsigned long index, bool after);
/** Sectors whose nWRP option bit is cleared: erase and program set WRPERR. */
void protect(uint16_t sectorMask);
/** Makes the next erase or word program end with these SR error flags set and no effect. */
void failNext(uint32_t srFlags);
/** Someone else (Device OS) has unlocked the interface, or started an operation. */
void otherUserUnlocks();
void otherUserBusy();
/** A wrong key sequence from elsewhere: CR locked until reset. */
void lockUntilReset();
void seed(uint32_t value);

} // namespace flashmodel

#endif

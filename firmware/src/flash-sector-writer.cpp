/*
 * The STM32F205 flash interface, driven as RM0033 ("Embedded Flash memory
 * interface": "Unlocking the Flash control register", "Program/erase
 * parallelism", "Erase", "Programming", and the FLASH_SR / FLASH_CR register
 * descriptions) documents it, and as Device OS 2.3.1 drives it while running
 * (platform/MCU/STM32F2xx/STM32_StdPeriph_Driver/src/stm32f2xx_flash.c and
 * SPARK_Firmware_Driver/src/flash_mal.c). Our own code.
 */
#include "flash-sector-writer.h"

#include "flash-registers.h"

#include <string.h>

using namespace flashdata;

namespace {

// KEYR's unlock keys (RM0033 "Unlocking the Flash control register";
// stm32f2xx_flash.h:262-263). A wrong sequence locks FLASH_CR until reset.
const uint32_t KEY1 = 0x45670123;
const uint32_t KEY2 = 0xcdef89ab;

// FLASH_SR (stm32f2xx_flash.h:230-236). The error flags clear when written 1.
const uint32_t SR_EOP = 1u << 0;
const uint32_t SR_OPERR = 1u << 1;
const uint32_t SR_WRPERR = 1u << 4;
const uint32_t SR_PGAERR = 1u << 5;
const uint32_t SR_PGPERR = 1u << 6;
const uint32_t SR_PGSERR = 1u << 7;
const uint32_t SR_BSY = 1u << 16;
const uint32_t SR_ERRORS = SR_OPERR | SR_WRPERR | SR_PGAERR | SR_PGPERR | SR_PGSERR;

// FLASH_CR (stm32f2xx.h:3384-3395). PSIZE 0b10 is x32 parallelism, the one
// for 2.7 to 3.6 V (RM0033 "Program/erase parallelism"), which the Electron
// runs at and Device OS uses (VoltageRange_3, flash_mal.c:226; stm32f2xx_flash.c:518).
const uint32_t CR_PG = 1u << 0;
const uint32_t CR_SER = 1u << 1;
const uint32_t CR_SNB_SHIFT = 3;
const uint32_t CR_PSIZE_X32 = 2u << 8;
const uint32_t CR_STRT = 1u << 16;
const uint32_t CR_LOCK = 1u << 31;

const uint32_t ERASED_WORD = 0xffffffff;
// Words programmed per interrupt-masked window: 16 x 100 us at most
// (the datasheet's worst word programming time), typically 16 x 16 us.
const size_t BATCH_BYTES = 64;

// Waits for BSY to clear, as stm32f2xx_flash.c:1029-1045 does (no time
// limit there either: an error ends BSY too), and returns FLASH_SR.
uint32_t waitIdle() {
  uint32_t sr;
  do {
    sr = reg::read(reg::SR);
  } while (sr & SR_BSY);
  return sr;
}

int errorOf(uint32_t sr) {
  if (sr & SR_WRPERR) {
    return FLASHWRITE_WRITE_PROTECTED;
  }
  if (sr & (SR_PGAERR | SR_PGPERR | SR_PGSERR)) {
    return FLASHWRITE_PROGRAM_ERROR;
  }
  return sr & SR_OPERR ? FLASHWRITE_OPERATION_ERROR : FLASHWRITE_OK;
}

// Called with interrupts masked. Device OS unlocks under its own mutex
// (stm32f2xx_flash.c:305-314, concurrent_hal.cpp:445-462), which an
// application cannot take; an interface found unlocked or busy is in the
// middle of Device OS's work, so it is left alone.
int unlock() {
  if (!(reg::read(reg::CR) & CR_LOCK) || (reg::read(reg::SR) & SR_BSY)) {
    return FLASHWRITE_BUSY;
  }
  reg::write(reg::KEYR, KEY1);
  reg::write(reg::KEYR, KEY2);
  if (reg::read(reg::CR) & CR_LOCK) {
    return FLASHWRITE_LOCKED;
  }
  // Flags left by an earlier operation would read as this one's.
  reg::write(reg::SR, SR_EOP | SR_ERRORS);
  return FLASHWRITE_OK;
}

// One write clears PG, SER and SNB and sets LOCK, as flash_mal.c:236 locks
// after each erase. Not after BUSY: the interface was someone else's.
void lockAgain(int result) {
  if (result != FLASHWRITE_BUSY) {
    reg::write(reg::CR, CR_LOCK);
  }
}

bool inSector(uint32_t address, size_t length) {
  if (address < FLASHWRITE_SECTOR_START) {
    return false;
  }
  uint32_t offset = address - FLASHWRITE_SECTOR_START;
  return offset <= FLASHWRITE_SECTOR_SIZE && length <= FLASHWRITE_SECTOR_SIZE - offset;
}

uint32_t wordAt(const uint8_t *bytes) {
  uint32_t value;
  memcpy(&value, bytes, sizeof(value)); // the source need not be aligned
  return value;
}

// Up to BATCH_BYTES from `bytes` at `address`, already checked to lie in the sector.
int programBatch(uint32_t address, const uint8_t *bytes, size_t length) {
  for (size_t ii = 0; ii < length; ii += 4) {
    uint32_t value = wordAt(bytes + ii);
    if ((reg::readFlash(address + ii) & value) != value) {
      return FLASHWRITE_NOT_ERASED;
    }
  }
  uint32_t irq = reg::disableIrq();
  int result = unlock();
  if (result == FLASHWRITE_OK) {
    // RM0033 "Programming": BSY clear, PG set, the word written with the
    // access size PSIZE says, then wait for BSY (stm32f2xx_flash.c:504-530).
    reg::write(reg::CR, CR_PSIZE_X32 | CR_PG);
    for (size_t ii = 0; ii < length && result == FLASHWRITE_OK; ii += 4) {
      reg::writeFlash(address + ii, wordAt(bytes + ii));
      result = errorOf(waitIdle());
    }
  }
  lockAgain(result);
  reg::restoreIrq(irq);
  for (size_t ii = 0; ii < length && result == FLASHWRITE_OK; ii += 4) {
    if (reg::readFlash(address + ii) != wordAt(bytes + ii)) {
      result = FLASHWRITE_VERIFY_FAILED;
    }
  }
  return result;
}

} // namespace

int FlashSectorWriter::eraseSector() {
  uint32_t irq = reg::disableIrq();
  int result = unlock();
  if (result == FLASHWRITE_OK) {
    // RM0033 "Erase", sector erase: SER and SNB, then STRT, then wait for BSY
    // (stm32f2xx_flash.c:348-394). The sector number is this file's constant.
    const uint32_t cr = CR_PSIZE_X32 | CR_SER | (FLASHWRITE_SECTOR << CR_SNB_SHIFT);
    reg::write(reg::CR, cr);
    reg::write(reg::CR, cr | CR_STRT);
    result = errorOf(waitIdle());
  }
  lockAgain(result);
  reg::restoreIrq(irq);
  for (uint32_t offset = 0; offset < FLASHWRITE_SECTOR_SIZE && result == FLASHWRITE_OK; offset += 4) {
    if (reg::readFlash(FLASHWRITE_SECTOR_START + offset) != ERASED_WORD) {
      result = FLASHWRITE_VERIFY_FAILED;
    }
  }
  return result;
}

int FlashSectorWriter::program(uint32_t address, const void *data, size_t length) {
  if (data == NULL && length > 0) {
    return FLASHWRITE_INVALID_ARGUMENT;
  }
  if (address % 4 != 0 || length % 4 != 0) {
    return FLASHWRITE_MISALIGNED;
  }
  if (!inSector(address, length)) {
    return FLASHWRITE_OUT_OF_RANGE;
  }
  const uint8_t *bytes = static_cast<const uint8_t *>(data);
  for (size_t done = 0; done < length; done += BATCH_BYTES) {
    size_t batch = length - done < BATCH_BYTES ? length - done : BATCH_BYTES;
    int result = programBatch(address + static_cast<uint32_t>(done), bytes + done, batch);
    if (result != FLASHWRITE_OK) {
      return result;
    }
  }
  return FLASHWRITE_OK;
}

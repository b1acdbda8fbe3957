/*
 * Erases and programs sector 9 of the Electron's STM32F205 (0x080A0000 to
 * 0x080BFFFF), and nothing else, from the running application.
 *
 * The sector number and the address range are constants of this file; every
 * program call is checked against them before any register is touched, so
 * no argument can reach another sector. Each operation masks interrupts,
 * finds the flash interface idle and locked (or returns FLASHWRITE_BUSY
 * without touching it), unlocks it, works, checks BSY and the error flags,
 * and locks it again. See firmware/README.md, "Updating the data in the
 * field", for what the application sees meanwhile (an erase stalls the
 * processor for 1 to 2 s).
 */
#ifndef FLASHDATA_FLASH_SECTOR_WRITER_H
#define FLASHDATA_FLASH_SECTOR_WRITER_H

#include <stddef.h>
#include <stdint.h>

// Results of the writer, the updater and the installer. 0 is success.
enum FlashWriteResult {
  FLASHWRITE_OK = 0,
  FLASHWRITE_BUSY,             // the flash interface was unlocked or busy (Device OS is using it): nothing done, try again
  FLASHWRITE_LOCKED,           // the unlock sequence left FLASH_CR locked (after a wrong key sequence it stays locked until reset)
  FLASHWRITE_OUT_OF_RANGE,     // the address range reaches outside sector 9: nothing done
  FLASHWRITE_MISALIGNED,       // address or length not a multiple of 4: nothing done
  FLASHWRITE_NOT_ERASED,       // a word would need a bit set from 0 to 1: erase first
  FLASHWRITE_WRITE_PROTECTED,  // WRPERR: sector 9 is write-protected in the option bytes
  FLASHWRITE_PROGRAM_ERROR,    // PGAERR, PGPERR or PGSERR
  FLASHWRITE_OPERATION_ERROR,  // OPERR
  FLASHWRITE_VERIFY_FAILED,    // flash reads back different from what was erased or programmed
  FLASHWRITE_INVALID_ARGUMENT, // a NULL pointer with a length
  FLASHWRITE_BAD_HEADER,       // not an image header: magic, version or file table (nothing erased)
  FLASHWRITE_TOO_LARGE,        // totalSize over 131,072 bytes or under the header (nothing erased)
  FLASHWRITE_NOT_STARTED,      // write() or end() without a successful begin(), or after a failure
  FLASHWRITE_HEADER_MISMATCH,  // the first 48 bytes written differ from the header given to begin()
  FLASHWRITE_OVERFLOW,         // more bytes than the header's totalSize
  FLASHWRITE_INCOMPLETE,       // end() before totalSize bytes were written
  FLASHWRITE_CRC_MISMATCH,     // the image's CRC-32 differs from its header's
  FLASHWRITE_INVALID_IMAGE     // the image's file table fails the reader's checks
};

// Sector 9 of the STM32F205: 128 KiB at 0x080A0000 (RM0033, "Embedded
// Flash memory", its organisation table: sectors 5 to 11 are 128 KiB from
// 0x08020000; Device OS 2.3.1 flash_mal.c:43-71 computes the same).
const uint32_t FLASHWRITE_SECTOR = 9;
const uint32_t FLASHWRITE_SECTOR_START = 0x080a0000;
const uint32_t FLASHWRITE_SECTOR_SIZE = 0x20000;
static_assert(FLASHWRITE_SECTOR_START == 0x08020000 + (FLASHWRITE_SECTOR - 5) * FLASHWRITE_SECTOR_SIZE,
              "sector 9 starts at 0x080A0000");

class FlashSectorWriter {
public:
  /** Erases sector 9 to 0xFF and checks that every word reads 0xFFFFFFFF. */
  static int eraseSector();

  /**
   * Programs `length` bytes from `data` at `address` (both multiples of 4,
   * the whole range inside sector 9). Each target word must hold only bits
   * that the new value keeps (flash programming only clears bits), else
   * FLASHWRITE_NOT_ERASED before that group of words is programmed. Every
   * word is read back. Interrupts are masked for at most 16 words at a time.
   */
  static int program(uint32_t address, const void *data, size_t length);
};

#endif /* FLASHDATA_FLASH_SECTOR_WRITER_H */

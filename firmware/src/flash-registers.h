/*
 * The thin layer between the sector writer and the STM32F205's flash
 * interface: its registers, the flash words it programs, and the interrupt
 * mask. On the Electron, flash-registers-stm32f2.cpp implements it on the
 * hardware; the host tests link a register-level model of the interface in
 * its place (test/firmware/flash-model.cpp).
 */
#ifndef FLASHDATA_FLASH_REGISTERS_H
#define FLASHDATA_FLASH_REGISTERS_H

#include <stdint.h>

namespace flashdata {
namespace reg {

// Offsets from the interface's base, 0x40023C00 (RM0033, "Flash interface
// registers" and its register map; Device OS 2.3.1
// platform/MCU/STM32F2xx/CMSIS/Device/ST/Include/stm32f2xx.h:580-588, 1079).
enum Register : uint32_t {
  KEYR = 0x04,
  SR = 0x0c,
  CR = 0x10,
};

uint32_t read(Register reg);
void write(Register reg, uint32_t value);

/** A 32-bit read of memory-mapped flash at `address`. */
uint32_t readFlash(uint32_t address);
/** A 32-bit write to flash at `address`: programs the word while FLASH_CR.PG is set. */
void writeFlash(uint32_t address, uint32_t value);

/** Masks interrupts (PRIMASK) and returns the previous mask for restoreIrq. */
uint32_t disableIrq();
void restoreIrq(uint32_t previous);

} // namespace reg
} // namespace flashdata

#endif /* FLASHDATA_FLASH_REGISTERS_H */

/*
 * The register layer on the Electron's STM32F205. Host builds (no __arm__)
 * leave it out: the tests link the flash interface model instead.
 */
#if defined(__arm__)

#include "flash-registers.h"

namespace flashdata {
namespace reg {

namespace {
// FLASH_R_BASE = AHB1PERIPH_BASE + 0x3C00 (Device OS 2.3.1
// platform/MCU/STM32F2xx/CMSIS/Device/ST/Include/stm32f2xx.h:1010, 1020, 1079).
const uint32_t FLASH_INTERFACE_BASE = 0x40023c00;

volatile uint32_t *at(uint32_t address) {
  return reinterpret_cast<volatile uint32_t *>(address);
}
} // namespace

uint32_t read(Register reg) {
  return *at(FLASH_INTERFACE_BASE + reg);
}

void write(Register reg, uint32_t value) {
  *at(FLASH_INTERFACE_BASE + reg) = value;
}

uint32_t readFlash(uint32_t address) {
  return *at(address);
}

void writeFlash(uint32_t address, uint32_t value) {
  *at(address) = value;
}

// PRIMASK, as CMSIS's __disable_irq and Device OS's ATOMIC_BLOCK
// (wiring/inc/spark_wiring_interrupts.h:67-79) use it, without needing CMSIS.
uint32_t disableIrq() {
  uint32_t previous;
  __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(previous) : : "memory");
  return previous;
}

void restoreIrq(uint32_t previous) {
  __asm volatile("msr primask, %0" : : "r"(previous) : "memory");
}

} // namespace reg
} // namespace flashdata

#endif

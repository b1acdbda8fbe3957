/*
 * A minimal stand-in for Device OS's Particle.h, for compiling the firmware
 * library and its examples on the host. The memory-mapped flash slot becomes
 * a plain array that the test harness fills from a file.
 */
#ifndef FLASHDATA_TEST_PARTICLE_STUB_H
#define FLASHDATA_TEST_PARTICLE_STUB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

// Device OS sets this on the command line; tests override it with -D.
#ifndef PLATFORM_ID
# define PLATFORM_ID 10
#endif

// The Electron's 128 KiB sector, as seen by the library.
const size_t FLASHDATA_STUB_SLOT_SIZE = 128 * 1024;
extern uint8_t flashdata_stub_slot[FLASHDATA_STUB_SLOT_SIZE];
#define FLASHFILE_START_ADDR (reinterpret_cast<size_t>(flashdata_stub_slot))

// Just enough of the Wiring API for the examples to compile (not link).
class StubSerial {
public:
  void begin(unsigned long baud);
  bool isConnected();
  size_t print(const char *text);
  size_t println(const char *text);
  size_t write(const uint8_t *data, size_t length);
  int printf(const char *format, ...) __attribute__((format(printf, 2, 3)));
  int printlnf(const char *format, ...) __attribute__((format(printf, 2, 3)));
};
extern StubSerial Serial;
unsigned long millis();
void delay(unsigned long ms);

#endif

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

// On the host the Electron's 128 KiB sector is a buffer; an ARM build keeps
// the library's own address, 0x080A0000, as on the device.
#if !defined(__arm__)
const size_t FLASHDATA_STUB_SLOT_SIZE = 128 * 1024;
extern uint8_t flashdata_stub_slot[FLASHDATA_STUB_SLOT_SIZE];
# define FLASHFILE_START_ADDR (reinterpret_cast<size_t>(flashdata_stub_slot))
#endif

// Device OS's Print and Stream (Arduino's), reduced to what a Stream
// implementation overrides and what callers use most.
class Print {
public:
  Print() : writeError(0) {}
  virtual size_t write(uint8_t byte) = 0;
  virtual size_t write(const uint8_t *buffer, size_t size) {
    size_t done = 0;
    while (done < size && write(buffer[done]) == 1) {
      done++;
    }
    return done;
  }
  int getWriteError() { return writeError; }
  void clearWriteError() { setWriteError(0); }

protected:
  void setWriteError(int error = 1) { writeError = error; }

private:
  int writeError;
};

class Stream : public Print {
public:
  Stream() : _timeout(1000) {}
  // How long the helpers below wait for a byte that has not arrived (ms).
  void setTimeout(unsigned long timeout) { _timeout = timeout; }
  virtual int available() = 0;
  virtual int read() = 0;
  virtual int peek() = 0;
  virtual void flush() = 0;
  // Device OS waits up to a timeout for each byte; a stand-in has no time,
  // so it stops at the first -1.
  size_t readBytes(char *buffer, size_t length) {
    size_t count = 0;
    int next;
    while (count < length && (next = read()) >= 0) {
      buffer[count++] = static_cast<char>(next);
    }
    return count;
  }

protected:
  unsigned long _timeout;
};

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

// Device OS's TCP client and cloud connection, as declared there, for the
// download example.
class TCPClient {
public:
  int connect(const char *host, uint16_t port);
  uint8_t connected();
  size_t write(const uint8_t *buffer, size_t size);
  int available();
  int read();
  int read(uint8_t *buffer, size_t size);
  void stop();
};

class CloudClass {
public:
  static bool connected();
};
extern CloudClass Particle;

#endif

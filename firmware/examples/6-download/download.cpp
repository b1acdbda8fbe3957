// Downloads a new image over HTTP into sector 9 with FlashImageUpdater.
// Before anything is erased, the image's size and CRC (from its header) must
// match what this firmware expects and the server's Content-Length; the
// updater then checks the header itself, and end() checks the whole image
// in flash (CRC and every entry) before making it valid. A power cut or a
// dropped connection at any point leaves no valid image, and the next
// download starts over.
//
// Put the image on a server (plain HTTP here; the same calls take bytes from
// any transport), and set the constants from `flashdata build data -o
// data.bin --json` ("size" and "crc").
#include "Particle.h"
#include "electron-flash-file.h"
#include "flash-image-updater.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char HOST[] = "data.example.com";
const uint16_t PORT = 80;
const char PATH[] = "/data.bin";
const uint32_t EXPECTED_SIZE = 4096;
const uint32_t EXPECTED_CRC = 0x12345678;
const unsigned long TIMEOUT_MS = 30000;

TCPClient client;
FlashImageUpdater updater;
bool done = false;

// Reads up to `size` bytes, waiting at most TIMEOUT_MS for the first one.
int readSome(uint8_t *buf, size_t size) {
  unsigned long start = millis();
  while (client.available() <= 0) {
    if (!client.connected() || millis() - start > TIMEOUT_MS) {
      return -1;
    }
    delay(1);
  }
  return client.read(buf, size);
}

bool readExactly(uint8_t *buf, size_t size) {
  for (size_t got = 0; got < size;) {
    int n = readSome(buf + got, size - got);
    if (n <= 0) {
      return false;
    }
    got += static_cast<size_t>(n);
  }
  return true;
}

// The status line and the headers, one line at a time; returns the
// Content-Length of a 200 response, or -1.
long readResponseHead() {
  char line[128];
  size_t used = 0;
  bool ok = false;
  long length = -1;
  for (;;) {
    uint8_t c;
    if (!readExactly(&c, 1)) {
      return -1;
    }
    if (c != '\n') {
      if (c != '\r' && used < sizeof(line) - 1) {
        line[used++] = static_cast<char>(c);
      }
      continue;
    }
    line[used] = '\0';
    if (used == 0) {
      return ok ? length : -1; // the blank line ends the headers
    }
    if (strncmp(line, "HTTP/1.", 7) == 0) {
      ok = strncmp(line + 8, " 200", 4) == 0;
    } else if (strncasecmp(line, "Content-Length:", 15) == 0) {
      length = strtol(line + 15, NULL, 10);
    }
    used = 0;
  }
}

int download() {
  if (!client.connect(HOST, PORT)) {
    return -1;
  }
  char request[160];
  int n = snprintf(request, sizeof(request), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", PATH, HOST);
  client.write(reinterpret_cast<const uint8_t *>(request), static_cast<size_t>(n));
  if (readResponseHead() != static_cast<long>(EXPECTED_SIZE)) {
    return -2;
  }
  uint8_t buf[512];
  FlashFileHeader header;
  if (!readExactly(buf, sizeof(header))) {
    return -3;
  }
  memcpy(&header, buf, sizeof(header));
  if (header.totalSize != EXPECTED_SIZE || header.crc != EXPECTED_CRC) {
    return -4; // not the image this firmware expects: nothing erased
  }
  int res = updater.begin(buf, sizeof(header)); // erases: 1 to 2 s stall
  if (res == FLASHWRITE_OK) {
    res = updater.write(buf, sizeof(header));
  }
  while (res == FLASHWRITE_OK && updater.written() < EXPECTED_SIZE) {
    size_t want = EXPECTED_SIZE - updater.written();
    int got = readSome(buf, want < sizeof(buf) ? want : sizeof(buf));
    res = got > 0 ? updater.write(buf, static_cast<size_t>(got)) : FLASHWRITE_INCOMPLETE;
  }
  res = res == FLASHWRITE_OK ? updater.end() : res;
  updater.abort(); // ends an update that stopped on a read error
  return res;
}

void setup() {
  Serial.begin(9600);
}

void loop() {
  if (done || !Particle.connected()) {
    return;
  }
  done = true;
  int res = download();
  client.stop();
  Serial.printlnf("download: %d (0: installed; FLASHWRITE_* results above 0, network errors below)", res);
  FlashFile ff;
  Serial.printlnf("reader: %d", ff.validateCrc());
}

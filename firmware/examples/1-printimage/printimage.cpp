// Prints every file of the flash-file image as hex and ASCII, every 10 s.
// Build and flash the image first: flashdata build data -o data.bin, then
// flashdata push data (see the library README).
#include "Particle.h"
#include "electron-flash-file.h"

FlashFile ff;

const unsigned long PRINT_INTERVAL_MS = 10000;
const size_t BYTES_PER_LINE = 16;
unsigned long lastPrint = 0;

void printLine(size_t offset, const uint8_t *bytes, size_t count) {
  Serial.printf("%06x: ", static_cast<unsigned>(offset));
  for (size_t ii = 0; ii < BYTES_PER_LINE; ii++) {
    if (ii < count) {
      Serial.printf("%02x ", bytes[ii]);
    } else {
      Serial.print("   ");
    }
  }
  Serial.print("  ");
  for (size_t ii = 0; ii < count; ii++) {
    bool printable = bytes[ii] >= ' ' && bytes[ii] < 127;
    Serial.printf("%c", printable ? static_cast<char>(bytes[ii]) : '.');
  }
  Serial.println("");
}

void printImage() {
  // validate() is implied by every call; the CRC check is explicit because it
  // reads the whole image.
  int res = ff.validateCrc();
  if (res != FLASHFILE_NO_ERROR) {
    Serial.printlnf("no valid image (res=%d)", res);
    return;
  }
  FlashFileInfo ffi;
  for (size_t index = 0; ff.getFileInfo(index, &ffi) == FLASHFILE_NO_ERROR; index++) {
    Serial.println("==================================================================");
    Serial.printlnf("index=%u name=%s length=%lu type=%s", static_cast<unsigned>(index), ffi.name,
                    static_cast<unsigned long>(ffi.length), ffi.contentType);
    char buf[BYTES_PER_LINE];
    for (size_t offset = 0; offset < ffi.length; offset += BYTES_PER_LINE) {
      size_t count = ffi.length - offset < BYTES_PER_LINE ? ffi.length - offset : BYTES_PER_LINE;
      ff.readFileData(&ffi, offset, buf, sizeof(buf));
      printLine(offset, reinterpret_cast<const uint8_t *>(buf), count);
    }
  }
}

void setup() {
  Serial.begin(9600);
}

void loop() {
  if (millis() - lastPrint >= PRINT_INTERVAL_MS) {
    lastPrint = millis();
    printImage();
  }
}

// Reads a stored file through the Stream interface, as libraries that take a
// Stream& do (ArduinoJson's deserializeJson(doc, stream), audio players,
// HTTP clients). Put a file named settings.txt with "key=value" lines in the
// folder you build the image from.
#include "Particle.h"
#include "electron-flash-file.h"
#include "flash-file-stream.h"

FlashFile ff;

// Any code written against Stream works unchanged on a stored file.
void printSettings(Stream &in) {
  char line[64];
  size_t used = 0;
  while (in.available() > 0) {
    int c = in.read();
    if (c != '\n' && c != '\r' && used < sizeof(line) - 1) {
      line[used++] = static_cast<char>(c); // longer lines are cut short
    }
    // peek() looks ahead without consuming: -1 means the last line has no newline.
    if ((c == '\n' || in.peek() < 0) && used > 0) {
      line[used] = '\0';
      Serial.printlnf("setting: %s", line);
      used = 0;
    }
  }
}

void setup() {
  Serial.begin(9600);
  delay(3000);
  FlashFileStream settings;
  int res = settings.open(ff, "settings.txt");
  if (res != FLASHFILE_NO_ERROR) {
    Serial.printlnf("settings.txt unusable (res=%d); run: flashdata push <folder>", res);
    return;
  }
  Serial.printlnf("settings.txt: %d bytes", settings.available());
  printSettings(settings);
}

void loop() {
}

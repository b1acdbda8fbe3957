// Looks a file up by name and uses its bytes in place (zero-copy), the way a
// CA certificate would be handed to a TLS library or a sound to a DAC.
// Put a file named message.txt in the folder you build the image from.
#include "Particle.h"
#include "electron-flash-file.h"

const char *const FILE_NAME = "message.txt";

FlashFile ff;
const uint8_t *message = NULL;
size_t messageLength = 0;

void setup() {
  Serial.begin(9600);
  // Give a USB serial monitor time to connect before printing.
  delay(3000);

  // Once at start-up: catches a half-written or altered image (about 15 ms
  // for a full 128 KiB image).
  int res = ff.validateCrc();
  if (res != FLASHFILE_NO_ERROR) {
    Serial.printlnf("flash data image unusable (res=%d); run: flashdata push <folder>", res);
    return;
  }
  FlashFileInfo info;
  res = ff.getFileByName(FILE_NAME, &info);
  if (res != FLASHFILE_NO_ERROR) {
    Serial.printlnf("%s not in the image (res=%d)", FILE_NAME, res);
    return;
  }
  // The pointer stays valid while the firmware runs: the image is in flash.
  ff.getFileData(&info, &message, &messageLength);
  Serial.printlnf("%s: %lu bytes, %s", FILE_NAME, static_cast<unsigned long>(messageLength), info.contentType);
}

void loop() {
  if (message != NULL) {
    Serial.write(message, messageLength);
    Serial.println("");
  }
  delay(10000);
}

// A product firmware that carries its data: at every boot it installs the
// image in data.h into sector 9, unless the sector already holds exactly
// that image. Release a firmware with a new data.h and Particle's OTA
// delivers the data; a power cut during the install is repaired at the next
// boot, because the copy is still in the firmware. The copy takes its size
// from the application's 128 KiB. Make data.h with
//
//   flashdata build data --format c -o data.h
#include "Particle.h"
#include "electron-flash-file.h"
#include "flash-image-updater.h"

#include "data.h"

FlashFile ff;

void setup() {
  Serial.begin(9600);
  delay(3000);

  // Erasing the sector stalls the processor for 1 to 2 s (see the README).
  bool installed = false;
  int res = FlashImageUpdater::installIfDifferent(flashdata_image, FLASHDATA_IMAGE_LENGTH, &installed);
  // BUSY: Device OS was using the flash interface at that moment; try again.
  for (int attempt = 0; res == FLASHWRITE_BUSY && attempt < 10; attempt++) {
    delay(100);
    res = FlashImageUpdater::installIfDifferent(flashdata_image, FLASHDATA_IMAGE_LENGTH, &installed);
  }
  Serial.printlnf("install: result %d, %s", res, installed ? "written" : "sector unchanged");

  FlashFileInfo info;
  const uint8_t *data;
  size_t length;
  if (ff.validateCrc() == FLASHFILE_NO_ERROR && ff.getFileByName("settings.txt", &info) == FLASHFILE_NO_ERROR &&
      ff.getFileData(&info, &data, &length) == FLASHFILE_NO_ERROR) {
    Serial.write(data, length);
  }
}

void loop() {
}

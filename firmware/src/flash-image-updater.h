/*
 * Installs a new image into sector 9 from the running application, from any
 * transport (an HTTP download, a Particle function, serial) or from a copy
 * built into the firmware, so that a power cut or a failure at any point
 * leaves either no valid image or a whole one:
 *
 * - begin() checks the header and refuses a bad one before anything is
 *   erased; then it clears most bits of the old image's magic word
 *   (programming only clears bits, so no erase is needed) and erases the
 *   sector. An erase cut short cannot bring the old image back.
 * - write() programs every byte as it arrives, except the first word, the
 *   magic, which it keeps in RAM. Until end() the sector starts with
 *   0xFFFFFFFF, which the reader (and Device OS's factory-reset check)
 *   refuses.
 * - end() reads the whole image back from flash and runs the reader's
 *   checks on it, CRC included, and only then programs the magic word.
 *
 * Results are FlashWriteResult values (flash-sector-writer.h). A FlashFile
 * that was validated before an update keeps the old image's size: call its
 * validate() or validateCrc() again afterwards.
 */
#ifndef FLASHDATA_FLASH_IMAGE_UPDATER_H
#define FLASHDATA_FLASH_IMAGE_UPDATER_H

#include "electron-flash-file.h"
#include "flash-sector-writer.h"

class FlashImageUpdater {
public:
  FlashImageUpdater();

  /**
   * Starts an update from the first `length` bytes of the new image (at
   * least its 48-byte header): FLASHWRITE_BAD_HEADER for a wrong magic,
   * version or file table, FLASHWRITE_TOO_LARGE for a totalSize over 131,072
   * bytes, with the sector untouched. Then erases sector 9 (1 to 2 s during
   * which the processor stalls, see README).
   */
  int begin(const void *header, size_t length);

  /**
   * The image's bytes, in order from its first byte (the header again), in
   * chunks of any size. Any error ends the update (write and end then return
   * FLASHWRITE_NOT_STARTED); the sector holds no valid image.
   */
  int write(const void *data, size_t length);

  /** Checks the whole image in flash (CRC and every entry) and makes it valid. */
  int end();

  /** Gives up: the sector is left without a valid image. */
  void abort();

  /** Bytes written so far, and the image's totalSize (0 before begin). */
  size_t written() const;
  size_t totalSize() const;

  /**
   * Installs `image` (for example the array `flashdata build --format c`
   * writes) unless sector 9 already holds exactly these bytes. The copy is
   * checked first (header, entries, CRC, and `length` == its totalSize), so
   * a bad copy changes nothing. *installed (may be NULL) tells whether the
   * sector was written. Call it at every boot: a power cut during an install
   * is repaired at the next one.
   */
  static int installIfDifferent(const uint8_t *image, size_t length, bool *installed = NULL);

private:
  int fail(int result);
  int programPending();

  FlashFileHeader header_;
  uint32_t received_;
  uint8_t pending_[4]; // the word being assembled
  bool active_;
};

#endif /* FLASHDATA_FLASH_IMAGE_UPDATER_H */

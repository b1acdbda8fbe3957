/*
 * Read-only access to files stored in the Electron's spare 128 KiB flash
 * sector (0x080A0000), in the version-1 flash-file image format that
 * `flashdata build` writes.
 *
 * Source-compatible with the reader of rickkas7/electron-flash-data (same
 * header name, types, methods and error codes), but every image is checked
 * before it is used, so a blank, half-written or corrupt sector is reported
 * as FLASHFILE_INVALID_FORMAT instead of sending reads outside the sector.
 */
#ifndef FLASHDATA_ELECTRON_FLASH_FILE_H
#define FLASHDATA_ELECTRON_FLASH_FILE_H

#include "Particle.h"

#include <stddef.h>
#include <stdint.h>

// Device OS passes PLATFORM_ID on the compiler command line:
// 6 = Photon, 8 = P1, 10 = Electron and E-Series.
#if !defined(PLATFORM_ID)
# error "electron-flash-file: PLATFORM_ID is not defined. Build with the Particle toolchain for the Electron or E-Series."
#elif PLATFORM_ID == 6 || PLATFORM_ID == 8
# error "electron-flash-file: the Photon and P1 are not supported. Their spare sector (0x080E0000) is overwritten by over-the-air system firmware updates, so stored files would silently disappear. Use an Electron or E-Series."
#elif PLATFORM_ID != 10
# error "electron-flash-file: only the Electron and E-Series (PLATFORM_ID 10) have the 128 KiB factory backup sector at 0x080A0000 that this library reads."
#endif

// Start of the image in memory-mapped flash: sector 9, the factory backup
// slot. Host-side tests define FLASHFILE_START_ADDR to point at a buffer.
#ifndef FLASHFILE_START_ADDR
# define FLASHFILE_START_ADDR 0x080A0000
#endif
// The original library's name for the same address.
#ifndef DEFAULT_START_ADDR
# define DEFAULT_START_ADDR FLASHFILE_START_ADDR
#endif

// Result codes. The first five have the original library's values.
enum {
  FLASHFILE_NO_ERROR = 0,
  FLASHFILE_NO_CHIP,            // never returned; kept so the values stay the same
  FLASHFILE_INVALID_FORMAT,     // no image, or a blank, truncated or corrupt one
  FLASHFILE_FILE_NOT_FOUND,     // index past the last file, or no file by that name
  FLASHFILE_END_OF_FILE,        // readFileData offset at or past the end of the file
  FLASHFILE_CRC_MISMATCH,       // validateCrc(): the image's bytes differ from what was built
  FLASHFILE_INVALID_ARGUMENT,   // null pointer, negative length, or a FlashFileInfo not from this image
  FLASHFILE_NOT_TERMINATED      // getFileDataWithNul(): no NUL byte after the data (build with --nul-terminate)
};

const size_t FLASHFILE_MAX_NAME_LEN = 31;
const size_t FLASHFILE_MAX_CONTENT_TYPE_LEN = 31;
// Size of the slot: no image may extend past it.
const size_t FLASHFILE_SLOT_SIZE = 128 * 1024;

// One entry of the file table, 80 bytes, stored right after the header.
typedef struct {
  char     name[FLASHFILE_MAX_NAME_LEN + 1];                // 0x00, NUL-terminated UTF-8
  uint32_t modDate;                                        // 0x20, seconds since 1970
  uint32_t length;                                         // 0x24, bytes
  uint32_t addr;                                           // 0x28, offset from the image start
  uint32_t reserved;                                       // 0x2c
  char     contentType[FLASHFILE_MAX_CONTENT_TYPE_LEN + 1]; // 0x30, NUL-terminated MIME type
} FlashFileInfo;

const uint32_t FLASHFILE_HEADER_MAGIC = 0xe0917763;
const uint32_t FLASHFILE_HEADER_VERSION = 1;

// The image header, 48 bytes at the start of the slot.
typedef struct {
  uint32_t magic;       // 0x00, FLASHFILE_HEADER_MAGIC
  uint32_t version;     // 0x04, at most FLASHFILE_HEADER_VERSION
  uint32_t numFiles;    // 0x08
  uint32_t totalSize;   // 0x0c, header + table + data
  uint32_t crc;         // 0x10, CRC-32 of totalSize bytes, this field read as 0
  uint32_t modDate;     // 0x14, build time, seconds since 1970
  uint32_t reserved[6]; // 0x18
} FlashFileHeader;

static_assert(sizeof(FlashFileInfo) == 80, "FlashFileInfo must match the 80-byte table entry");
static_assert(sizeof(FlashFileHeader) == 48, "FlashFileHeader must match the 48-byte image header");

class FlashFile {
public:
  /**
   * addrStart: where the image starts in memory. slotSize: how many bytes
   * from there may be read; an image claiming more is rejected.
   */
  FlashFile(size_t addrStart = DEFAULT_START_ADDR, size_t slotSize = FLASHFILE_SLOT_SIZE);
  virtual ~FlashFile();

  /**
   * Checks that the slot holds a well-formed image: magic, version,
   * totalSize within the slot, the file table within totalSize, every name
   * and content type NUL-terminated, every file's data within totalSize.
   * No CRC, so it is quick (about 2 us per file). The other calls run it
   * on first use.
   */
  int validate();

  /**
   * validate(), then compares the stored CRC-32 with one computed over the
   * whole image: FLASHFILE_CRC_MISMATCH for a half-written or altered image.
   * Reads every byte of the image (about 15 ms for 128 KiB, see README), so
   * it is a separate call; run it once, for example in setup().
   */
  int validateCrc();

  /**
   * Copies the table entry of file `index` (zero-based) into *info. Iterate
   * from 0 until it returns FLASHFILE_FILE_NOT_FOUND.
   */
  int getFileInfo(size_t index, FlashFileInfo *info);

  /**
   * Finds a file by its exact, case-sensitive name (for example
   * "certs/ca.pem"). info may be NULL to test for existence only.
   */
  int getFileByName(const char *name, FlashFileInfo *info);

  /** Address of the file's first byte in flash, or NULL if info does not fit the image. */
  void *getFileAddress(const FlashFileInfo *info);

  /**
   * Zero-copy access: points *data at the file's bytes in flash and sets
   * *length. The bytes stay valid for as long as the image is not rewritten.
   */
  int getFileData(const FlashFileInfo *info, const uint8_t **data, size_t *length);

  /**
   * For text that a C API parses in place, such as PEM certificates and keys
   * for mbedTLS: like getFileData, but *lengthWithNul counts the NUL byte
   * that `flashdata build --nul-terminate` stores after the data (outside the
   * entry's length). Hand data / lengthWithNul straight to
   * mbedtls_x509_crt_parse or mbedtls_pk_parse_key. FLASHFILE_NOT_TERMINATED
   * when the byte after the data is not a NUL.
   */
  int getFileDataWithNul(const FlashFileInfo *info, const uint8_t **data, size_t *lengthWithNul);

  /**
   * Copies up to bufLen bytes of the file, starting at offset, into buf.
   * Stops at the end of the file (the caller computes the count as
   * min(bufLen, info->length - offset)); FLASHFILE_END_OF_FILE when offset
   * is at or past the end.
   */
  int readFileData(const FlashFileInfo *info, size_t offset, char *buf, int bufLen);

  /**
   * IEEE CRC-32 (zlib's; reflected polynomial 0xEDB88320). Pass the
   * previous result as crc to continue over more bytes; start with 0.
   */
  static uint32_t crc32(const void *data, size_t len, uint32_t crc = 0);

  /**
   * The checks of validate() (and with withCrc those of validateCrc) on an
   * image whose header is given apart from its bytes: *hdr is used for the
   * header, `image` for the file table and the data. FlashImageUpdater checks
   * a new image with it before the header's first word is in flash.
   */
  static int checkImage(const FlashFileHeader *hdr, const uint8_t *image, size_t slotSize, bool withCrc);

private:
  int check(bool withCrc);
  int ensureValid();
  bool fitsImage(uint32_t addr, uint32_t length) const;
  const uint8_t *image() const;

  size_t addrStart;
  size_t slotSize;
  size_t numFiles;
  uint32_t totalSize; // 0 until validate() succeeds
};

#endif /* FLASHDATA_ELECTRON_FLASH_FILE_H */

#include "flash-image-updater.h"

#include <string.h>

namespace {

const uint32_t HEADER_SIZE = sizeof(FlashFileHeader);
const uint32_t ENTRY_SIZE = sizeof(FlashFileInfo);
// What the old magic becomes before the erase: the magic with all but bits
// 31 and 16 cleared. Every state the first word can pass through, cut short
// or not (magic, this, between them, erased, erasing from this, programming
// the magic over erased), keeps bits 31 and 16 set, so Device OS's
// factory-reset check never takes the sector for firmware: that needs the
// word to be 0x08080000 (bit 31 clear) or to pass the mask 0x2FF10000 as
// 0x20000000 (bit 16 clear) (flash_mal.c:675-697, 264-312; flash_mal.h:59).
const uint32_t MAGIC_CLEARED = 0x80010000;
static_assert((FLASHFILE_HEADER_MAGIC & MAGIC_CLEARED) == MAGIC_CLEARED, "reachable by clearing bits only");

const uint8_t *sector() {
  return reinterpret_cast<const uint8_t *>(FLASHFILE_START_ADDR);
}

uint32_t firstWord() {
  uint32_t value;
  memcpy(&value, sector(), sizeof(value));
  return value;
}

// What begin() can check from the header alone, before erasing anything.
int checkHeader(const FlashFileHeader &hdr) {
  if (hdr.magic != FLASHFILE_HEADER_MAGIC || hdr.version > FLASHFILE_HEADER_VERSION) {
    return FLASHWRITE_BAD_HEADER;
  }
  if (hdr.totalSize < HEADER_SIZE || hdr.totalSize > FLASHFILE_SLOT_SIZE) {
    return FLASHWRITE_TOO_LARGE;
  }
  if (hdr.numFiles > (hdr.totalSize - HEADER_SIZE) / ENTRY_SIZE) {
    return FLASHWRITE_BAD_HEADER;
  }
  return FLASHWRITE_OK;
}

int resultOf(int flashFileResult) {
  return flashFileResult == FLASHFILE_NO_ERROR      ? FLASHWRITE_OK
         : flashFileResult == FLASHFILE_CRC_MISMATCH ? FLASHWRITE_CRC_MISMATCH
                                                     : FLASHWRITE_INVALID_IMAGE;
}

} // namespace

#if defined(__arm__)
static_assert(FLASHFILE_START_ADDR == FLASHWRITE_SECTOR_START, "the reader reads where the writer writes");
#endif

FlashImageUpdater::FlashImageUpdater() : header_(), received_(0), pending_(), active_(false) {
}

size_t FlashImageUpdater::written() const {
  return received_;
}

size_t FlashImageUpdater::totalSize() const {
  return active_ ? header_.totalSize : 0;
}

int FlashImageUpdater::fail(int result) {
  active_ = false;
  return result;
}

void FlashImageUpdater::abort() {
  active_ = false;
}

int FlashImageUpdater::begin(const void *header, size_t length) {
  active_ = false;
  if (header == NULL || length < HEADER_SIZE) {
    return FLASHWRITE_BAD_HEADER;
  }
  FlashFileHeader hdr;
  memcpy(&hdr, header, sizeof(hdr));
  int result = checkHeader(hdr);
  if (result != FLASHWRITE_OK) {
    return result;
  }
  // Clear the old image's magic before the erase: an erase cut short leaves
  // bits anywhere between old and erased, which could otherwise leave the old
  // magic in front of a half-erased image.
  if (firstWord() == FLASHFILE_HEADER_MAGIC) {
    result = FlashSectorWriter::program(FLASHWRITE_SECTOR_START, &MAGIC_CLEARED, sizeof(MAGIC_CLEARED));
  }
  if (result == FLASHWRITE_OK) {
    result = FlashSectorWriter::eraseSector();
  }
  if (result != FLASHWRITE_OK) {
    return result;
  }
  header_ = hdr;
  received_ = 0;
  active_ = true;
  return FLASHWRITE_OK;
}

// The word that has just been completed in pending_; the magic waits for end().
int FlashImageUpdater::programPending() {
  uint32_t offset = (received_ - 1) & ~3u;
  if (offset == 0) {
    return FLASHWRITE_OK;
  }
  return FlashSectorWriter::program(FLASHWRITE_SECTOR_START + offset, pending_, sizeof(pending_));
}

int FlashImageUpdater::write(const void *data, size_t length) {
  if (!active_) {
    return FLASHWRITE_NOT_STARTED;
  }
  if (data == NULL && length > 0) {
    return fail(FLASHWRITE_INVALID_ARGUMENT);
  }
  if (length > header_.totalSize - received_) {
    return fail(FLASHWRITE_OVERFLOW);
  }
  const uint8_t *bytes = static_cast<const uint8_t *>(data);
  const uint8_t *headerBytes = reinterpret_cast<const uint8_t *>(&header_);
  while (length > 0) {
    // Whole words straight from the caller's buffer, once past the header
    // and on a word boundary.
    if (received_ >= HEADER_SIZE && received_ % 4 == 0 && length >= 4) {
      size_t words = length & ~static_cast<size_t>(3);
      int result = FlashSectorWriter::program(FLASHWRITE_SECTOR_START + received_, bytes, words);
      if (result != FLASHWRITE_OK) {
        return fail(result);
      }
      received_ += static_cast<uint32_t>(words);
      bytes += words;
      length -= words;
      continue;
    }
    if (received_ < HEADER_SIZE && *bytes != headerBytes[received_]) {
      return fail(FLASHWRITE_HEADER_MISMATCH);
    }
    pending_[received_ % 4] = *bytes++;
    received_++;
    length--;
    if (received_ % 4 == 0) {
      int result = programPending();
      if (result != FLASHWRITE_OK) {
        return fail(result);
      }
    }
  }
  return FLASHWRITE_OK;
}

int FlashImageUpdater::end() {
  if (!active_) {
    return FLASHWRITE_NOT_STARTED;
  }
  if (received_ != header_.totalSize) {
    return fail(FLASHWRITE_INCOMPLETE);
  }
  if (received_ % 4 != 0) {
    // The last, partial word: the bytes past the image stay erased.
    memset(pending_ + received_ % 4, 0xff, 4 - received_ % 4);
    received_ = (received_ + 3) & ~3u;
    int result = programPending();
    received_ = header_.totalSize;
    if (result != FLASHWRITE_OK) {
      return fail(result);
    }
  }
  // Everything but the magic is in flash: check it as the reader will.
  int result = resultOf(FlashFile::checkImage(&header_, sector(), FLASHFILE_SLOT_SIZE, true));
  if (result == FLASHWRITE_OK) {
    result = FlashSectorWriter::program(FLASHWRITE_SECTOR_START, &header_.magic, sizeof(header_.magic));
  }
  if (result == FLASHWRITE_OK) {
    FlashFile written;
    if (written.validateCrc() != FLASHFILE_NO_ERROR) {
      // Flash changed under us: take the magic back rather than leave it on a bad image.
      FlashSectorWriter::program(FLASHWRITE_SECTOR_START, &MAGIC_CLEARED, sizeof(MAGIC_CLEARED));
      result = FLASHWRITE_VERIFY_FAILED;
    }
  }
  return fail(result);
}

int FlashImageUpdater::installIfDifferent(const uint8_t *image, size_t length, bool *installed) {
  if (installed != NULL) {
    *installed = false;
  }
  if (image == NULL || length < HEADER_SIZE) {
    return FLASHWRITE_BAD_HEADER;
  }
  FlashFileHeader hdr;
  memcpy(&hdr, image, sizeof(hdr));
  int result = checkHeader(hdr);
  if (result == FLASHWRITE_OK && hdr.totalSize != length) {
    result = FLASHWRITE_BAD_HEADER;
  }
  if (result == FLASHWRITE_OK) {
    result = resultOf(FlashFile::checkImage(&hdr, image, FLASHFILE_SLOT_SIZE, true));
  }
  if (result != FLASHWRITE_OK || memcmp(sector(), image, length) == 0) {
    return result;
  }
  FlashImageUpdater updater;
  result = updater.begin(image, length);
  if (result == FLASHWRITE_OK) {
    result = updater.write(image, length);
  }
  if (result == FLASHWRITE_OK) {
    result = updater.end();
  }
  if (installed != NULL) {
    *installed = result == FLASHWRITE_OK;
  }
  return result;
}

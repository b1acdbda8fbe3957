#include "flash-file-stream.h"

FlashFileStream::FlashFileStream() : data(NULL), length(0), pos(0) {
  // Every byte is already in flash: at the end of the file, Stream's helpers
  // (readBytes, find, parseInt...) must not wait the default second for more.
  setTimeout(0);
}

int FlashFileStream::open(FlashFile &ff, const char *name) {
  data = NULL;
  length = 0;
  pos = 0;
  FlashFileInfo info;
  int res = ff.getFileByName(name, &info);
  if (res == FLASHFILE_NO_ERROR) {
    res = ff.getFileData(&info, &data, &length);
  }
  if (res != FLASHFILE_NO_ERROR) {
    data = NULL;
    length = 0;
  }
  return res;
}

int FlashFileStream::available() {
  // A file fits the 128 KiB slot, so the count always fits an int.
  return static_cast<int>(length - pos);
}

int FlashFileStream::read() {
  int next = peek();
  if (next >= 0) {
    pos++;
  }
  return next;
}

int FlashFileStream::peek() {
  return pos < length ? data[pos] : -1;
}

void FlashFileStream::flush() {
}

size_t FlashFileStream::write(uint8_t byte) {
  (void)byte;
  setWriteError();
  return 0;
}

size_t FlashFileStream::write(const uint8_t *buffer, size_t size) {
  (void)buffer;
  (void)size;
  setWriteError();
  return 0;
}

size_t FlashFileStream::position() const {
  return pos;
}

size_t FlashFileStream::size() const {
  return length;
}

bool FlashFileStream::seek(size_t offset) {
  if (offset > length) {
    return false;
  }
  pos = offset;
  return true;
}

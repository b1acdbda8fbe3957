// Code written for the original electron-flash-data API must keep compiling
// unchanged: non-const FlashFileInfo pointers, int lengths, the old
// DEFAULT_START_ADDR and error codes, the header struct and limits.
#include "Particle.h"
#include "electron-flash-file.h"

FlashFile ff(DEFAULT_START_ADDR);

bool looksLikeImage(const void *start) {
  FlashFileHeader hdr;
  memcpy(&hdr, start, sizeof(hdr));
  return hdr.magic == FLASHFILE_HEADER_MAGIC && hdr.version <= FLASHFILE_HEADER_VERSION;
}

int copyFile(const char *name, char *buf, int bufLen) {
  if (ff.validate() != FLASHFILE_NO_ERROR) {
    return FLASHFILE_INVALID_FORMAT;
  }
  FlashFileInfo info;
  FlashFileInfo *infoPtr = &info;
  int res = ff.getFileByName(name, infoPtr);
  if (res == FLASHFILE_FILE_NOT_FOUND) {
    res = ff.getFileInfo(0, infoPtr);
  }
  if (res != FLASHFILE_NO_ERROR || res == FLASHFILE_NO_CHIP) {
    return res;
  }
  char *mapped = (char *)ff.getFileAddress(infoPtr);
  if (mapped == NULL || strlen(info.name) > FLASHFILE_MAX_NAME_LEN || strlen(info.contentType) > FLASHFILE_MAX_CONTENT_TYPE_LEN) {
    return FLASHFILE_END_OF_FILE;
  }
  return ff.readFileData(infoPtr, 0, buf, bufLen);
}

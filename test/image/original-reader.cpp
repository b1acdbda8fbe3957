// A host-side stand-in for the original firmware reader: the same packed
// struct layout, filled with memcpy from "flash" (here a file loaded into a
// buffer), the same magic and version check, and reads by the entry's addr.
// It prints one line per file: name, length, content type, modDate, and the
// data as hex, so the test can compare it with what went into the image.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

struct FlashFileHeader {  // 48 bytes
  uint32_t magic, version, numFiles, totalSize, crc, modDate, reserved[6];
};
struct FlashFileInfo {  // 80 bytes
  char name[32];
  uint32_t modDate, length, addr, reserved;
  char contentType[32];
};
static_assert(sizeof(FlashFileHeader) == 48, "header layout");
static_assert(sizeof(FlashFileInfo) == 80, "entry layout");

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  FILE *f = std::fopen(argv[1], "rb");
  if (!f) return 2;
  std::vector<uint8_t> flash(131072, 0xff);
  size_t n = std::fread(flash.data(), 1, flash.size(), f);
  std::fclose(f);
  if (n < sizeof(FlashFileHeader)) return 3;
  FlashFileHeader header;
  std::memcpy(&header, flash.data(), sizeof(header));
  if (header.magic != 0xe0917763 || header.version > 1) return 4;
  std::printf("files %u size %u\n", header.numFiles, header.totalSize);
  for (uint32_t i = 0; i < header.numFiles; i++) {
    FlashFileInfo info;
    std::memcpy(&info, flash.data() + sizeof(FlashFileHeader) + i * sizeof(FlashFileInfo), sizeof(info));
    std::printf("%s %u %s %u ", info.name, info.length, info.contentType, info.modDate);
    std::vector<uint8_t> data(info.length);
    std::memcpy(data.data(), flash.data() + info.addr, info.length);
    for (uint8_t b : data) std::printf("%02x", b);
    std::printf("\n");
  }
  return 0;
}

/*
 * One stored file as an Arduino-style Stream, for the many libraries that
 * read from a Stream (JSON parsers, audio players, HTTP clients). The bytes
 * are read straight from flash; nothing is copied into RAM. The stream is
 * read-only: write() writes nothing and sets the write error.
 */
#ifndef FLASHDATA_FLASH_FILE_STREAM_H
#define FLASHDATA_FLASH_FILE_STREAM_H

#include "Particle.h"

#include "electron-flash-file.h"

class FlashFileStream : public Stream {
public:
  /** An empty stream until open() succeeds. Its Stream timeout is 0: nothing more will arrive. */
  FlashFileStream();

  /**
   * Opens the file called `name` (exact, case-sensitive) in ff's image and
   * rewinds to its start. Returns ff's result code (FLASHFILE_FILE_NOT_FOUND,
   * FLASHFILE_INVALID_FORMAT, ...); on failure the stream is empty.
   */
  int open(FlashFile &ff, const char *name);

  /** Bytes left to read. */
  int available() override;
  /** The next byte (0-255), or -1 at the end of the file. */
  int read() override;
  /** The next byte without consuming it, or -1 at the end of the file. */
  int peek() override;
  /** Nothing to flush: the stream is read-only. */
  void flush() override;
  /** Refused: returns 0 and sets getWriteError(). */
  size_t write(uint8_t byte) override;
  size_t write(const uint8_t *buffer, size_t size) override;

  /** Offset of the next byte to read. */
  size_t position() const;
  /** Length of the open file. */
  size_t size() const;
  /** Moves to `offset` (at most size()); false, and nothing moves, past the end. */
  bool seek(size_t offset);

private:
  const uint8_t *data;
  size_t length;
  size_t pos;
};

#endif /* FLASHDATA_FLASH_FILE_STREAM_H */

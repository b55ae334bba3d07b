// How the read side opens drive files. Everything that reads blocks goes through a
// ReadEnv, so tests can inject read errors (EIO) and short reads where real drives
// would produce them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ferry::io {

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to `len` bytes at `offset`; fewer only at end of file. Throws kIO.
  virtual size_t pread(void* buf, size_t len, uint64_t offset) const = 0;
};

class ReadEnv {
 public:
  virtual ~ReadEnv() = default;
  // Throws kIO (naming the path) when the file cannot be opened.
  virtual std::unique_ptr<RandomAccessFile> open(const std::string& path) const = 0;
  // The real file system.
  static const ReadEnv& posix();
};

}  // namespace ferry::io

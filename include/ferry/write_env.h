// How pack and repair write to the drives. Every block, label, note, checkpoint and
// catalog copy, every rename, removal and cut goes through a WriteEnv, so tests can simulate a power cut that loses whatever was not
// yet fsynced, as LevelDB's fault-injection tests do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ferry::io {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual void pwrite(const void* buf, size_t len, uint64_t offset) = 0;
  // Makes everything written so far durable.
  virtual void sync() = 0;
  virtual void close() = 0;
};

// A new version of a file, written piece by piece, that takes the file's place only when
// committed: until then the file is as it was. Left uncommitted, it leaves at most a
// temporary file next to it.
class ReplacementFile {
 public:
  virtual ~ReplacementFile() = default;
  virtual void append(const void* buf, size_t len) = 0;
  // Makes what was appended durable, then puts it in place of the file, durably.
  virtual void commit() = 0;
};

class WriteEnv {
 public:
  virtual ~WriteEnv() = default;
  // Creates the file if missing; never truncates. Throws kIO / kNoSpace naming the path.
  virtual std::unique_ptr<WritableFile> open(const std::string& path) const = 0;
  // A file that replaces `path` durably once committed, written piece by piece for
  // contents too large to hold in memory at once. By default written through open() to
  // `path`.tmp, then renamed.
  virtual std::unique_ptr<ReplacementFile> replace(const std::string& path) const;
  // Replaces `path` with `data` durably: afterwards it is the old or the new file, whole.
  // By default through replace().
  virtual void write_atomically(const std::string& path, const std::string& data) const;
  // Puts `from` in `to`'s place and syncs the folder, so the rename survives a power cut.
  // By default on the real file system, as are the two below.
  virtual void rename(const std::string& from, const std::string& to) const;
  // Removes the file `path`; nothing when it is not there.
  virtual void remove(const std::string& path) const;
  // Cuts the file `path` to `size` bytes.
  virtual void truncate(const std::string& path, uint64_t size) const;
  // The real file system.
  static const WriteEnv& posix();
  // Throws every byte away: measures the pack pipeline without the drives.
  static const WriteEnv& discarding();
};

}  // namespace ferry::io

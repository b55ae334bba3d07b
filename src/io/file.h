// Thin RAII wrappers over POSIX files. Every failure throws a ferry::Error naming the
// path, so callers never lose track of which drive failed.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ferry/read_env.h"

namespace ferry::io {

class File {
 public:
  File() = default;
  File(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~File();
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  static File open_read(const std::string& path);
  // Creates or opens for writing (no truncation); mode 0644.
  static File open_write(const std::string& path, bool truncate);
  // For a file on a drive or in a restore target, which may hold anything: no symbolic
  // link is followed from a shipment folder (ferry-<id>) down, nor as the last component
  // of any other `path`; a FIFO or device never blocks the open, and anything but a
  // regular file is refused (kCorruption).
  static File open_untrusted(const std::string& path);
  // The same for writing: creates the file (mode 0644) if missing, never truncates.
  static File open_untrusted_write(const std::string& path);

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  // Reads up to `len` bytes at `offset`; returns fewer only at end of file.
  size_t pread(void* buf, size_t len, uint64_t offset) const;
  // Reads up to `len` bytes from the current position; fewer only at end of file.
  size_t read(void* buf, size_t len);
  void pwrite(const void* buf, size_t len, uint64_t offset);
  void write(const void* buf, size_t len);
  uint64_t size() const;
  void sync();
  void close();  // reports errors of the final close, unlike the destructor

 private:
  int fd_ = -1;
  std::string path_;
};

bool exists(const std::string& path);
bool is_directory(const std::string& path);
std::string read_whole_file(const std::string& path);
// A file from a drive, read whole through `env`: refused (kCorruption) as soon as more
// than `max_bytes` is read.
std::string read_untrusted_file(const ReadEnv& env, const std::string& path, uint64_t max_bytes);
// The entries of a folder on a drive with each one's lstat, opened as drive files are
// (no symbolic link followed from the shipment folder down); empty when the folder
// cannot be opened so.
struct DriveFolderEntry {
  std::string name;
  struct stat st;
};
std::vector<DriveFolderEntry> list_drive_folder(const std::string& path);
// Throws kCorruption when `path` is there but is a symbolic link or not a directory:
// a folder on a drive that ferry goes through.
void require_real_directory(const std::string& path);
// Writes `data` to `path` by way of a temporary file, fsync and rename, then fsyncs the
// directory: the file is either the old one or the new one, never half written.
void write_file_atomically(const std::string& path, const std::string& data);
// Renames `temp`, already fsynced, over `path`, then fsyncs the folder: afterwards
// `path` is the new file, durably.
void rename_into_place(const std::string& temp, const std::string& path);
void fsync_directory(const std::string& path);
void make_directories(const std::string& path);  // mkdir -p
void remove_tree(const std::string& path);       // rm -rf, never following links
// The space a file or tree takes on its file system (du), never following links.
uint64_t allocated_bytes(const std::string& path);

// A file in $TMPDIR (mode 0600) removed when this object dies, and also when the process
// dies without running destructors (kill -9, a crash): it may hold a decrypted catalog,
// every file name of a shipment, which must not outlive the process. A small process
// forked for each file waits for this one to end and removes what is left.
class TempFile {
 public:
  explicit TempFile(const std::string& stem);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int watchdog_pipe_ = -1;  // its write end: closed, by exit or death, the watchdog acts
  int watchdog_pid_ = -1;
};

std::string join(const std::string& dir, const std::string& name);

}  // namespace ferry::io

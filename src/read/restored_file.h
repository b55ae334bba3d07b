// One file being restored. Its bytes go under a temporary name in its folder, and it
// takes its final name only once every byte is written and checked: a restore that
// stops, fails or finds the file damaged leaves nothing that looks restored but is not.
#pragma once

#include <sys/stat.h>

#include <cerrno>

#include <cstdint>
#include <string>

#include "format/catalog.h"
#include "io/file.h"

namespace ferry::read {

// An errno by which a file system says it keeps no such metadata (FAT and exFAT keep
// no owner, no mode bits but read-only, no symbolic links): the entry is restored
// without it and listed, and the restore goes on.
inline bool metadata_unsupported(int err) {
  return err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == EINVAL || err == ENOSYS;
}

class RestoredFile {
 public:
  // Creates `.ferry-tmp-<id>` in the folder `dirfd` (replacing one a stopped restore
  // left). `shown` is the file's path as messages give it.
  RestoredFile(int dirfd, const format::Entry& entry, std::string shown);
  ~RestoredFile();  // removes the temporary file unless published
  RestoredFile(const RestoredFile&) = delete;
  RestoredFile& operator=(const RestoredFile&) = delete;

  // Appends `len` bytes. For a compressed file (where a sparse file's holes went, as
  // frames of zeros), blocks of zeros are skipped rather than written: they become
  // holes again, and the file takes no more room than on the source.
  void write(const uint8_t* data, size_t len) {
    if (sparse_) {
      write_sparse(data, len);
    } else {
      file_.write(data, len);
    }
  }
  static constexpr size_t kHoleBlock = 4096;
  // Gives the file the catalog's mode (less setuid and setgid) and mtime, closes it and renames it to `leaf`.
  void publish(const std::string& leaf);

 private:
  void write_sparse(const uint8_t* data, size_t len);

  int dirfd_;
  const format::Entry& entry_;
  const bool sparse_;
  uint64_t position_ = 0;  // bytes appended, holes included
  bool skipped_ = false;   // the last bytes appended were a hole
  std::string temp_;
  io::File file_;
  bool published_ = false;
};

}  // namespace ferry::read

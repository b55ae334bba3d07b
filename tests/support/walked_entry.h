// The catalog entry pack's walk records for a file, for tests of what pack does with it.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <string>

#include "format/catalog.h"

namespace ferry::test {

// The file `rel` below `root` as the walk records it: id, size, mode, mtime and the
// version (ctime, inode) that pack reads it as first.
inline format::Entry walked_entry(int64_t id, const std::string& root, const std::string& rel) {
  auto ns = [](const struct timespec& t) { return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec; };
  struct stat st;
  EXPECT_EQ(::lstat((root + "/" + rel).c_str(), &st), 0) << rel;
  format::Entry e;
  e.id = id;
  e.path = rel;
  e.kind = format::EntryKind::kFile;
  e.mode = st.st_mode & 07777;
  e.mtime_ns = ns(st.st_mtim);
  e.size = static_cast<uint64_t>(st.st_size);
  e.ctime_ns = ns(st.st_ctim);
  e.inode = st.st_ino;
  return e;
}

}  // namespace ferry::test

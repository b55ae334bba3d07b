// How much a source tree holds, counted the way pack will see it: regular-file bytes and
// the entries of the catalog. Symlinks are counted, never followed.
#pragma once

#include <cstdint>
#include <string>

namespace ferry::plan {

struct ScanOptions {
  // Directories read at once. Even on two cores several help: a scan waits on the disk
  // for metadata far more than it computes.
  int threads = 8;
};

struct SourceSummary {
  uint64_t bytes = 0;        // sum of the regular files' sizes
  uint64_t files = 0;        // regular files
  uint64_t directories = 0;  // below the root; the root itself is not counted
  uint64_t symlinks = 0;
  uint64_t others = 0;  // FIFOs, sockets, devices: pack has nothing to copy of them
  // Entries that could not be read (a directory without permission, say); what was
  // below them is missing from the counts.
  uint64_t unreadable = 0;
  std::string first_error;  // the first of those, for a message
};

// Counts the tree under `root`. A symlink given as the root is followed (as `find -H`
// does); none below it is. Entries that vanish during the scan are left out silently.
// Throws ferry::Error when the root itself cannot be read. When `root` is a regular
// file, that one file is the source.
SourceSummary scan_source(const std::string& root, const ScanOptions& options = {});

}  // namespace ferry::plan

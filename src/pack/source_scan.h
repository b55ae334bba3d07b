// How much a source tree holds, counted the way pack will see it, by the walk pack makes
// (source_walker.h): regular-file bytes (a file with several names once) and the entries
// of the catalog. Symlinks are counted, never followed. `ferry plan` sizes drives by it.
#pragma once

#include <cstdint>
#include <string>

namespace ferry::pack {

struct SourceSummary {
  uint64_t bytes = 0;        // the regular files' sizes, each file once
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
// does); none below it is. Throws ferry::Error when the root itself cannot be read.
// When `root` is a regular file, that one file is the source.
SourceSummary scan_source(const std::string& root);

}  // namespace ferry::pack

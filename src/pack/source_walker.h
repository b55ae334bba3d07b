// Walks the source tree into the catalog: every directory, regular file and symbolic
// link, in a fixed order (names sorted bytewise, depth first), never following a link.
// Sockets, FIFOs and devices are never opened, only listed as skipped.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "format/catalog.h"

namespace ferry::pack {

struct WalkTotals {
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t file_bytes = 0;
  // Entries left out, with why: special files, unreadable directories.
  std::vector<std::pair<std::string, std::string>> skipped;
  bool unreadable = false;  // something packable could not be read
};

// Throws when `root` itself cannot be read.
WalkTotals walk_source(const std::string& root, format::Catalog& catalog);

}  // namespace ferry::pack

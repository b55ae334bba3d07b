// Walks the source tree into the catalog: every directory, regular file and symbolic
// link, in a fixed order (names sorted bytewise, depth first), never following a link.
// Sockets, FIFOs and devices are never opened, only listed as skipped. The listing
// (readdir, fstatat) runs on a thread of its own while the caller's thread records what
// it finds into the catalog.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "format/catalog.h"

namespace ferry::pack {

struct WalkTotals {
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t file_bytes = 0;
  std::vector<std::string> notes;  // entries kept otherwise than found (see Found::note)
};

// One thing the walk found: an entry, or a path left out and why.
struct Found {
  format::Entry entry;
  std::string skip_reason;  // empty for an entry
  // For an entry: what of it is kept otherwise than the source has it, for people.
  std::string note;
};

// The name on this system of every owner and group id met (empty: none).
struct OwnerNames {
  std::map<uint32_t, std::string> users, groups;
};

// The one walk of a source tree, which pack and plan share: calls `batch` on the calling
// thread with what was found, in walk order, a batch at a time, while the listing runs
// on a thread of its own. A link given as `root` is followed. Throws when `root` itself
// cannot be read, or what `batch` throws (the listing then stops).
OwnerNames walk_tree(const std::string& root, bool xattrs,
                     const std::function<void(std::vector<Found>&)>& batch);

// Adds `f` to `totals` (nothing for a path left out; a later name of a file, a hard
// link, adds no bytes: it stores none).
void count(const Found& f, WalkTotals& totals);

// Entries left out go to the catalog's skipped table with a reason. True when that
// reason is a special file's kind (socket, FIFO, device), left out on purpose; false
// for something packable that could not be read.
bool is_special_file_reason(const std::string& reason);

// Throws when `root` itself cannot be read. Records each entry's owner and group (and
// their names), its extended attributes unless `xattrs` is false, and the later names of
// a file with several (hard links) as links to the first. `catalog` starts empty.
WalkTotals walk_source(const std::string& root, format::Catalog& catalog, bool xattrs = true);

}  // namespace ferry::pack

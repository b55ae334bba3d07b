// How a source differs from the shipment packed from it: what pack, run again against
// a complete shipment, checks before it says there is nothing to do.
#pragma once

#include <cstdint>
#include <climits>
#include <string>
#include <vector>

#include "format/catalog.h"

namespace ferry::pack {

struct SourceChanges {
  // Entries whose kind, size, mtime, mode, owner or link target differ; entries only in
  // the source now (a file left out when packing, and listed then, is not counted);
  // entries only in the shipment.
  uint64_t changed = 0, added = 0, removed = 0;
  std::vector<std::string> first;  // the first few, as "path (changed)", raw paths
  bool any() const { return changed + added + removed > 0; }
};

// Compares `shipped` with the catalog at `walked_path`, a fresh walk of the same source.
// Entries of `shipped` past id `packed_up_to` (not yet packed: a pack to resume) are
// not held to the walk; an entry the walk found and `shipped` lacks always counts.
SourceChanges compare_with_walk(format::Catalog& shipped, const std::string& walked_path,
                                size_t examples = 5, int64_t packed_up_to = INT64_MAX);

}  // namespace ferry::pack

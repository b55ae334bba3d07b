// Checks of a catalog entry against the shipment, before it sizes a loop: the catalog is
// authenticated, but whoever holds the key could have written it.
#pragma once

#include <cstdint>
#include <string>

#include "format/catalog.h"

namespace ferry::format {

// Throws kCorruption naming the entry when a file's bytes would lie outside the data
// stream of `stream_bytes` bytes, or its frames do not add up to what it stores.
void check_extent(const Entry& entry, uint64_t stream_bytes);

}  // namespace ferry::format

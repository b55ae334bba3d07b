// How many bytes a source takes once packed, estimated from samples before anything is
// read whole: pack's space check counts this when the files' own size does not fit.
#pragma once

#include <cstdint>
#include <string>

#include "format/catalog.h"

namespace ferry::pack {

struct StoredEstimate {
  uint64_t bytes = 0;  // on the safe side: kMargin over what the samples say
  uint32_t files_sampled = 0;
};

// A margin over the samples' ratio: they see 256 KiB of a file at most.
constexpr double kEstimateMargin = 1.25;

// Samples up to `samples` files of the walked `catalog`, picked by bytes (a file twice as
// large is twice as likely to be picked), as pack would choose whether to compress them;
// a sparse file counts its allocated bytes. Never more than `file_bytes`.
StoredEstimate estimate_stored_bytes(const std::string& source, format::Catalog& catalog,
                                     uint64_t file_bytes, bool compress, uint32_t samples = 64);

}  // namespace ferry::pack

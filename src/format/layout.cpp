#include "format/layout.h"

#include <cstdio>

#include "codec/sha256.h"
#include "codec/erasure.h"
#include "ferry/error.h"

namespace ferry::format {

void validate(const Layout& layout) {
  // k and m each bounded first: their sum must not wrap.
  const uint32_t max = static_cast<uint32_t>(codec::ReedSolomon::kMaxFragments);
  if (layout.k < 1 || layout.k > max || layout.m > max || layout.n() > max) {
    throw Error(ErrorKind::kInvalidArgument,
                "a shipment needs at least 1 data drive and at most " +
                    std::to_string(codec::ReedSolomon::kMaxFragments) + " drives");
  }
  if (layout.block_size < kMinBlockSize || layout.block_size > kMaxBlockSize ||
      layout.block_size % 64 != 0) {
    throw Error(ErrorKind::kInvalidArgument,
                "block size " + std::to_string(layout.block_size) +
                    " must be a multiple of 64 between " + std::to_string(kMinBlockSize) +
                    " and " + std::to_string(kMaxBlockSize));
  }
  if (static_cast<uint64_t>(layout.n()) * layout.block_size > kMaxStripeBytes) {
    throw Error(ErrorKind::kInvalidArgument,
                std::to_string(layout.n()) + " drives of " + std::to_string(layout.block_size) +
                    "-byte blocks make stripes over " + std::to_string(kMaxStripeBytes >> 20) +
                    " MiB, which every reading thread would hold; choose a smaller block size");
  }
  if (layout.segment_stripes < 1 || layout.segment_stripes > kMaxStripes) {
    throw Error(ErrorKind::kInvalidArgument, "a segment must hold at least one block");
  }
}

std::string layout_meta(const Layout& l) {
  return std::to_string(l.k) + "," + std::to_string(l.m) + "," + std::to_string(l.block_size) +
         "," + std::to_string(l.segment_stripes);
}

std::string segment_file_name(uint64_t segment) {
  char name[32];
  std::snprintf(name, sizeof name, "seg-%08llu.fry", static_cast<unsigned long long>(segment));
  return name;
}

std::optional<uint64_t> segment_of_file_name(const std::string& name) {
  unsigned long long index = 0;
  char tail = 0;
  if (std::sscanf(name.c_str(), "seg-%8llu.fr%c", &index, &tail) != 2 || tail != 'y') return std::nullopt;
  if (segment_file_name(index) != name) return std::nullopt;
  return index;
}

std::string id_hex(const ShipmentId& id) { return codec::to_hex(id.data(), id.size()); }
std::string id_short(const ShipmentId& id) { return id_hex(id).substr(0, 8); }
std::string shipment_dir_name(const ShipmentId& id) { return kShipmentDirPrefix + id_hex(id); }

}  // namespace ferry::format

// Where every byte of a shipment lives: the data stream cut into units, units grouped
// into stripes, stripe members rotated over slots, blocks grouped into segment files.
// FORMAT.md §Data stream, §Stripes and rotation, §Segments.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "format/constants.h"

namespace ferry::format {

using ShipmentId = std::array<uint8_t, 16>;

struct Layout {
  uint32_t k = 0;           // data blocks per stripe
  uint32_t m = 0;           // parity blocks per stripe
  uint32_t block_size = 0;  // payload bytes per block
  uint64_t segment_stripes = 0;  // blocks per segment file

  uint32_t n() const { return k + m; }
  // Plaintext bytes carried by one data block (its payload less nonce and tag).
  uint32_t unit_plain() const { return block_size - static_cast<uint32_t>(kUnitOverhead); }
  uint64_t stripe_plain() const { return static_cast<uint64_t>(k) * unit_plain(); }
  uint64_t record_size() const { return kBlockHeaderSize + block_size; }

  // Member j of stripe s (0..k-1 data, k..n-1 parity) is stored on slot (j + s) mod n.
  uint32_t slot_of(uint64_t stripe, uint32_t member) const {
    return static_cast<uint32_t>((member + stripe) % n());
  }
  uint32_t member_of(uint64_t stripe, uint32_t slot) const {
    return static_cast<uint32_t>((slot + n() - stripe % n()) % n());
  }
  uint64_t segment_of(uint64_t stripe) const { return stripe / segment_stripes; }
  uint64_t offset_in_segment(uint64_t stripe) const {
    return (stripe % segment_stripes) * record_size();
  }
  uint64_t stripes_for(uint64_t stream_bytes) const {
    return (stream_bytes + stripe_plain() - 1) / stripe_plain();
  }
};

// Throws kInvalidArgument when the numbers are not a valid version-1 layout.
void validate(const Layout& layout);

// "k,m,block_size,segment_stripes" in decimal: the layout as the catalog records it
// (meta key `layout`), so that with the key a label's layout is authenticated.
std::string layout_meta(const Layout& layout);

// "seg-00000012.fry"
std::string segment_file_name(uint64_t segment);
// The segment a file name spells exactly as segment_file_name() writes it; nullopt for
// any other name.
std::optional<uint64_t> segment_of_file_name(const std::string& name);
// "ferry-<32 hex>"
std::string shipment_dir_name(const ShipmentId& id);
std::string id_hex(const ShipmentId& id);
// The first 8 hex digits, for messages.
std::string id_short(const ShipmentId& id);

}  // namespace ferry::format

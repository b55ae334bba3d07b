// The 64-byte header in front of every stored block, and how a data unit is sealed.
// FORMAT.md §Blocks, §Data units.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "codec/aead.h"
#include "format/layout.h"

namespace ferry::format {

struct BlockHeader {
  ShipmentId shipment{};
  uint64_t stripe = 0;
  uint16_t slot = 0;
  uint16_t member = 0;  // 0..k-1 data, k..n-1 parity
  uint32_t block_size = 0;
  uint32_t payload_crc = 0;  // CRC32C of the payload
};

void encode_block_header(const BlockHeader& header, uint8_t out[kBlockHeaderSize]);

// Parses and checks magic, version and header CRC. On failure returns nullopt and says
// why in `why` (for verify's report).
std::optional<BlockHeader> decode_block_header(const uint8_t in[kBlockHeaderSize],
                                               std::string* why);

// A data unit's payload is nonce (12) | ciphertext (unit_plain) | tag (16).
// The nonce is the pack attempt (4 bytes, big-endian) then the unit number (8 bytes):
// unique per key because every pack attempt of a shipment gets a new number.
codec::Nonce unit_nonce(uint32_t attempt, uint64_t unit);

// The authenticated data of unit `unit`: binds shipment, layout, position and the pack
// attempt that sealed it, so a block moved, replayed from another attempt or taken from
// another shipment fails authentication. Used through StripeFormat (stripe_format.h).
constexpr size_t kUnitAadSize = 48;
void unit_aad(const ShipmentId& shipment, const Layout& layout, uint32_t attempt, uint64_t unit,
              uint8_t out[kUnitAadSize]);

}  // namespace ferry::format

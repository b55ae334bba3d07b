#include "format/block.h"

#include <cstring>

#include "codec/crc32c.h"
#include "util/bytes.h"

namespace ferry::format {

using util::get_le;
using util::put_le;

// Byte map (little-endian), FORMAT.md §Blocks:
//  0 magic "FRYB" | 4 version u16 | 6 header size u16 | 8 shipment id [16]
// 24 stripe u64 | 32 slot u16 | 34 member u16 | 36 block size u32 | 40 payload crc u32
// 44 reserved [16] zero | 60 header crc u32 over bytes 0..59
void encode_block_header(const BlockHeader& h, uint8_t out[kBlockHeaderSize]) {
  std::memset(out, 0, kBlockHeaderSize);
  std::memcpy(out, kBlockMagic, 4);
  put_le(out + 4, kFormatVersion, 2);
  put_le(out + 6, kBlockHeaderSize, 2);
  std::memcpy(out + 8, h.shipment.data(), 16);
  put_le(out + 24, h.stripe, 8);
  put_le(out + 32, h.slot, 2);
  put_le(out + 34, h.member, 2);
  put_le(out + 36, h.block_size, 4);
  put_le(out + 40, h.payload_crc, 4);
  put_le(out + 60, codec::crc32c(out, 60), 4);
}

std::optional<BlockHeader> decode_block_header(const uint8_t in[kBlockHeaderSize],
                                               std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<BlockHeader> {
    if (why) *why = reason;
    return std::nullopt;
  };
  if (std::memcmp(in, kBlockMagic, 4) != 0) return fail("no block header (bad magic)");
  if (get_le(in + 60, 4) != codec::crc32c(in, 60)) return fail("block header checksum mismatch");
  if (get_le(in + 4, 2) != kFormatVersion) return fail("block of an unknown format version");
  if (get_le(in + 6, 2) != kBlockHeaderSize) return fail("block header of unexpected size");
  BlockHeader h;
  std::memcpy(h.shipment.data(), in + 8, 16);
  h.stripe = get_le(in + 24, 8);
  h.slot = static_cast<uint16_t>(get_le(in + 32, 2));
  h.member = static_cast<uint16_t>(get_le(in + 34, 2));
  h.block_size = static_cast<uint32_t>(get_le(in + 36, 4));
  h.payload_crc = static_cast<uint32_t>(get_le(in + 40, 4));
  return h;
}

codec::Nonce unit_nonce(uint32_t attempt, uint64_t unit) {
  codec::Nonce nonce{};
  util::put_be(nonce.data(), attempt, 4);
  util::put_be(nonce.data() + 4, unit, 8);
  return nonce;
}

// "FRYU" | version u16 | k u16 | m u16 | pad u16 | block size u32 | shipment [16] | unit u64
// | attempt u32 | reserved u32 zero
void unit_aad(const ShipmentId& shipment, const Layout& layout, uint32_t attempt, uint64_t unit,
              uint8_t out[kUnitAadSize]) {
  std::memset(out, 0, kUnitAadSize);
  std::memcpy(out, kUnitAadMagic, 4);
  put_le(out + 4, kFormatVersion, 2);
  put_le(out + 6, layout.k, 2);
  put_le(out + 8, layout.m, 2);
  put_le(out + 12, layout.block_size, 4);
  std::memcpy(out + 16, shipment.data(), 16);
  put_le(out + 32, unit, 8);
  put_le(out + 40, attempt, 4);
}

}  // namespace ferry::format

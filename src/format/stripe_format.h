// The on-drive format's operations on a stripe, in one place: sealing and opening a data
// unit (nonce and AAD), making and checking a block's header, and checking a stripe's
// parity. Pack, restore, verify, repair and every later reader use these and nothing
// else, so a format change is made here once. FORMAT.md §Blocks, §Encryption of data units.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codec/aead.h"
#include "codec/erasure.h"
#include "format/attempts.h"
#include "format/layout.h"

namespace ferry::format {

// What a block check found, for verify's per-drive counts.
enum class BlockStatus { kOk, kMissing, kTruncated, kDamaged, kMisplaced, kForeign, kUnreadable };

// Every member of a stripe of `n` members, as a bit mask (n <= 64).
inline uint64_t all_members(uint32_t n) { return n >= 64 ? ~0ull : (1ull << n) - 1; }

class StripeFormat {
 public:
  StripeFormat(const ShipmentId& shipment, const Layout& layout)
      : shipment_(shipment), layout_(layout) {}

  const Layout& layout() const { return layout_; }

  // Seals data unit `j` of `stripe` in place: `payload` is a block payload whose
  // plaintext (unit_plain bytes) starts after the nonce; afterwards it is
  // nonce | ciphertext | tag. `attempt` is the pack attempt sealing it.
  void seal_unit(codec::AesGcm& aead, uint32_t attempt, uint64_t stripe, uint32_t j,
                 uint8_t* payload) const;
  // Opens data unit `j` of `stripe` into `plain` (unit_plain bytes). False unless the
  // payload was sealed by this shipment, for this position, by pack attempt `attempt`:
  // a block replayed from another attempt fails here and counts as damage.
  bool open_unit(codec::AesGcm& aead, uint32_t attempt, uint64_t stripe, uint32_t j,
                 const uint8_t* payload, uint8_t* plain) const;

  // Writes the 64-byte header of member `member` of `stripe` in front of its payload
  // (`record` + kBlockHeaderSize), CRC included.
  void make_header(uint64_t stripe, uint32_t member, uint8_t* record) const;
  // Checks `record` as member `member` of `stripe`: header, shipment, position, size and
  // payload CRC. Anything but kOk comes with a reason for people in `why`.
  BlockStatus check_record(uint64_t stripe, uint32_t member, const uint8_t* record,
                           std::string* why) const;

  // Whether the stored parity payloads (members k..n-1 of `payloads`) equal parity
  // recomputed from the data payloads. `scratch` holds m blocks.
  bool parity_consistent(const codec::ReedSolomon& rs, const std::vector<uint8_t*>& payloads,
                         std::vector<uint8_t>& scratch) const;

 private:
  ShipmentId shipment_;
  Layout layout_;
};

}  // namespace ferry::format

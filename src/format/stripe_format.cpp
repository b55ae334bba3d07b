#include "format/stripe_format.h"

#include <cstring>

#include "codec/crc32c.h"
#include "format/block.h"

namespace ferry::format {

void StripeFormat::seal_unit(codec::AesGcm& aead, uint32_t attempt, uint64_t stripe, uint32_t j,
                             uint8_t* payload) const {
  const uint64_t unit = stripe * layout_.k + j;
  const uint32_t plain = layout_.unit_plain();
  codec::Nonce nonce = unit_nonce(attempt, unit);
  uint8_t aad[kUnitAadSize];
  unit_aad(shipment_, layout_, attempt, unit, aad);
  std::memcpy(payload, nonce.data(), nonce.size());
  uint8_t* text = payload + codec::kNonceSize;
  aead.seal(nonce, aad, sizeof aad, text, plain, text, text + plain);
}

bool StripeFormat::open_unit(codec::AesGcm& aead, uint32_t attempt, uint64_t stripe, uint32_t j,
                             const uint8_t* payload, uint8_t* plain) const {
  const uint64_t unit = stripe * layout_.k + j;
  const uint32_t len = layout_.unit_plain();
  // The nonce is what this position and attempt must have used, not what the block says.
  codec::Nonce nonce = unit_nonce(attempt, unit);
  if (std::memcmp(payload, nonce.data(), nonce.size()) != 0) return false;
  uint8_t aad[kUnitAadSize];
  unit_aad(shipment_, layout_, attempt, unit, aad);
  const uint8_t* text = payload + codec::kNonceSize;
  return aead.open(nonce, aad, sizeof aad, text, len, plain, text + len);
}

void StripeFormat::make_header(uint64_t stripe, uint32_t member, uint8_t* record) const {
  BlockHeader h;
  h.shipment = shipment_;
  h.stripe = stripe;
  h.member = static_cast<uint16_t>(member);
  h.slot = static_cast<uint16_t>(layout_.slot_of(stripe, member));
  h.block_size = layout_.block_size;
  h.payload_crc = codec::crc32c(record + kBlockHeaderSize, layout_.block_size);
  encode_block_header(h, record);
}

BlockStatus StripeFormat::check_record(uint64_t stripe, uint32_t member, const uint8_t* record,
                                       std::string* why) const {
  const uint32_t slot = layout_.slot_of(stripe, member);
  const std::string where = "slot " + std::to_string(slot) + " stripe " + std::to_string(stripe);
  std::string reason;
  auto header = decode_block_header(record, &reason);
  if (!header) {
    *why = where + ": " + reason;
    return BlockStatus::kDamaged;
  }
  if (header->shipment != shipment_) {
    *why = where + ": block of another shipment (" + id_short(header->shipment) + "…)";
    return BlockStatus::kForeign;
  }
  if (header->stripe != stripe || header->slot != slot || header->member != member ||
      header->block_size != layout_.block_size) {
    *why = where + ": misplaced block (holds stripe " + std::to_string(header->stripe) + " slot " +
           std::to_string(header->slot) + ")";
    return BlockStatus::kMisplaced;
  }
  if (codec::crc32c(record + kBlockHeaderSize, layout_.block_size) != header->payload_crc) {
    *why = where + ": block damaged (checksum mismatch)";
    return BlockStatus::kDamaged;
  }
  return BlockStatus::kOk;
}

bool StripeFormat::parity_consistent(const codec::ReedSolomon& rs,
                                     const std::vector<uint8_t*>& payloads,
                                     std::vector<uint8_t>& scratch) const {
  const uint32_t k = layout_.k, m = layout_.m;
  scratch.resize(static_cast<size_t>(m) * layout_.block_size);
  std::vector<const uint8_t*> data(payloads.begin(), payloads.begin() + k);
  std::vector<uint8_t*> out(m);
  for (uint32_t j = 0; j < m; ++j)
    out[j] = scratch.data() + static_cast<size_t>(j) * layout_.block_size;
  rs.encode(layout_.block_size, data.data(), out.data());
  for (uint32_t j = 0; j < m; ++j) {
    if (std::memcmp(out[j], payloads[k + j], layout_.block_size) != 0) return false;
  }
  return true;
}

}  // namespace ferry::format

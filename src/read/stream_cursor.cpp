#include "read/stream_cursor.h"

#include <algorithm>

#include "ferry/error.h"

namespace ferry::read {

StreamCursor::StreamCursor(StripeSource& source, const format::Layout& layout)
    : source_(source), layout_(layout) {}

void StreamCursor::count(const FetchedStripe& stripe) {
  rebuilt_ += stripe.result.rebuilt;
  unauthentic_ += stripe.result.unauthentic;
  for (bool ok : stripe.result.unit_ok) unrecovered_ += !ok;
}

std::optional<codec::Digest> StreamCursor::digest_of(int64_t id) const {
  if (!current_) return std::nullopt;
  for (const auto& [file, digest] : current_->digests) {
    if (file == id) return digest;
  }
  return std::nullopt;
}

void StreamCursor::drain() {
  while ((current_ = source_.next())) count(*current_);
}

const uint8_t* StreamCursor::at(uint64_t pos, size_t want, size_t* len, bool* ok) {
  const uint64_t stripe = pos / layout_.stripe_plain();
  while (!current_ || current_->stripe < stripe) {
    current_ = source_.next();
    if (!current_) {
      throw Error(ErrorKind::kCorruption,
                  "the catalog points past the end of the data (stripe " + std::to_string(stripe) + ")");
    }
    count(*current_);
  }
  if (current_->stripe != stripe) {
    throw Error(ErrorKind::kCorruption, "stream read out of order at stripe " + std::to_string(stripe));
  }
  uint64_t in_stripe = pos % layout_.stripe_plain();
  uint32_t unit = static_cast<uint32_t>(in_stripe / layout_.unit_plain());
  uint64_t unit_end = (static_cast<uint64_t>(unit) + 1) * layout_.unit_plain();
  *len = static_cast<size_t>(std::min<uint64_t>(want, unit_end - in_stripe));
  *ok = current_->result.unit_ok[unit];
  return current_->plain.data() + in_stripe;
}

}  // namespace ferry::read

// Reads the data stream forward by position, pulling stripes from a StripeSource.
#pragma once

#include <cstdint>
#include <optional>

#include "read/stripe_source.h"

namespace ferry::read {

class StreamCursor {
 public:
  StreamCursor(StripeSource& source, const format::Layout& layout);

  // Bytes at stream position `pos`: a pointer and how many follow contiguously (up to
  // the end of their unit, at most `want`). `ok` is false when that unit could not be
  // recovered; the bytes are then meaningless. Positions must not go backwards across
  // stripes.
  const uint8_t* at(uint64_t pos, size_t want, size_t* len, bool* ok);

  // Consumes the stripes left in the schedule, so their counts are in.
  void drain();
  // The digest StreamFileHasher recorded for file `id` in the current stripe, if any.
  std::optional<codec::Digest> digest_of(int64_t id) const;

  uint64_t rebuilt() const { return rebuilt_; }
  uint64_t unauthentic() const { return unauthentic_; }
  uint64_t unrecovered() const { return unrecovered_; }  // data units beyond repair

 private:
  StripeSource& source_;
  format::Layout layout_;
  const FetchedStripe* current_ = nullptr;
  void count(const FetchedStripe& stripe);
  uint64_t rebuilt_ = 0, unauthentic_ = 0, unrecovered_ = 0;
};

}  // namespace ferry::read

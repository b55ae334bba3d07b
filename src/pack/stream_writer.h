// The front of the data stream: files are appended one after another, and each full
// stripe of plaintext goes to the pipeline. Callers may fill the current unit in place
// (room/advance) so that file bytes are read straight into the stripe buffer.
//
// The stream can go back to a mark: a file given up halfway (it changed while read)
// leaves no dead bytes behind. Within the stripe being filled that is a rewind; once
// the mark's stripe has been handed over (and is sealed in place), the caller starts a
// new pipeline at that stripe and the stream rewrites the bytes before the mark, which
// it kept aside when it handed the stripe over.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "format/layout.h"
#include "pack/stripe_pipeline.h"

namespace ferry::pack {

class StreamWriter {
 public:
  StreamWriter(StripePipeline& pipeline, const format::Layout& layout, uint64_t start);

  uint64_t position() const { return position_; }
  // The stripe the next byte goes into.
  uint64_t stripe() const { return position_ / layout_.stripe_plain(); }
  // Writable bytes at the current position, up to the end of the current unit; never empty.
  std::pair<uint8_t*, size_t> room();
  // Marks `n` bytes of room() as filled.
  void advance(size_t n);
  void write(const void* data, size_t len);
  // Pads the current stripe with zeros and submits it, so the stream restarts on a
  // stripe boundary (at checkpoints; the padding is dead space).
  void pad_to_stripe();
  // Pads the last stripe, submits it and waits for the pipeline to finish.
  void finish();

  // Remembers the current position as the one to go back to, until the next mark.
  void mark();
  uint64_t marked() const { return mark_; }
  // Goes back to the mark when its stripe is still being filled; false when it has
  // been handed over (then restart_at_mark() on a new pipeline).
  bool rewind_in_stripe();
  // Carries on with `pipeline`, which starts at the mark's stripe: rewrites that
  // stripe's bytes before the mark, so the position is the mark again.
  void restart_at_mark(StripePipeline& pipeline);

 private:
  StripePipeline* pipeline_;
  format::Layout layout_;
  uint64_t position_;
  uint64_t mark_ = UINT64_MAX;  // UINT64_MAX: none
  bool mark_handed_over_ = false;  // its stripe is submitted; `before_mark_` holds the bytes
  std::vector<uint8_t> before_mark_;  // the mark's stripe up to the mark
};

}  // namespace ferry::pack

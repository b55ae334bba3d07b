// The front of the data stream: files are appended one after another, and each full
// stripe of plaintext goes to the pipeline. Callers may fill the current unit in place
// (room/advance) so that file bytes are read straight into the stripe buffer.
#pragma once

#include <cstdint>
#include <utility>

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

 private:
  StripePipeline& pipeline_;
  format::Layout layout_;
  uint64_t position_;
};

}  // namespace ferry::pack

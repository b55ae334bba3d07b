#include "pack/stream_writer.h"

#include <algorithm>
#include <cstring>

namespace ferry::pack {

StreamWriter::StreamWriter(StripePipeline& pipeline, const format::Layout& layout, uint64_t start)
    : pipeline_(&pipeline), layout_(layout), position_(start) {}

std::pair<uint8_t*, size_t> StreamWriter::room() {
  uint64_t in_stripe = position_ % layout_.stripe_plain();
  uint32_t unit = static_cast<uint32_t>(in_stripe / layout_.unit_plain());
  uint32_t offset = static_cast<uint32_t>(in_stripe % layout_.unit_plain());
  return {pipeline_->unit(unit) + offset, layout_.unit_plain() - offset};
}

void StreamWriter::advance(size_t n) {
  position_ += n;
  if (position_ % layout_.stripe_plain() != 0) return;
  const uint64_t stripe_start = position_ - layout_.stripe_plain();
  if (mark_ != UINT64_MAX && !mark_handed_over_ && mark_ >= stripe_start) {
    // Sealing overwrites the plaintext: keep what lies before the mark.
    before_mark_.resize(mark_ - stripe_start);
    for (size_t at = 0; at < before_mark_.size();) {
      const uint32_t unit = static_cast<uint32_t>(at / layout_.unit_plain());
      const size_t n = std::min<size_t>(layout_.unit_plain(), before_mark_.size() - at);
      std::memcpy(before_mark_.data() + at, pipeline_->unit(unit), n);
      at += n;
    }
    mark_handed_over_ = true;
  }
  pipeline_->submit();
}

void StreamWriter::write(const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (len) {
    auto [dst, space] = room();
    size_t n = std::min(space, len);
    std::memcpy(dst, p, n);
    p += n;
    len -= n;
    advance(n);
  }
}

void StreamWriter::pad_to_stripe() {
  while (position_ % layout_.stripe_plain() != 0) {
    auto [dst, space] = room();
    std::memset(dst, 0, space);
    advance(space);
  }
}

void StreamWriter::finish() {
  pad_to_stripe();
  pipeline_->finish();
}

void StreamWriter::mark() {
  mark_ = position_;
  mark_handed_over_ = false;
}

bool StreamWriter::rewind_in_stripe() {
  if (mark_ == UINT64_MAX || mark_handed_over_) return false;
  position_ = mark_;
  return true;
}

void StreamWriter::restart_at_mark(StripePipeline& pipeline) {
  pipeline_ = &pipeline;
  position_ = mark_ - before_mark_.size();
  mark_handed_over_ = false;  // for write() below: the mark lies past what it writes
  write(before_mark_.data(), before_mark_.size());
}

}  // namespace ferry::pack

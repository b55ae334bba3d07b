#include "pack/stream_writer.h"

#include <algorithm>
#include <cstring>

namespace ferry::pack {

StreamWriter::StreamWriter(StripePipeline& pipeline, const format::Layout& layout, uint64_t start)
    : pipeline_(pipeline), layout_(layout), position_(start) {}

std::pair<uint8_t*, size_t> StreamWriter::room() {
  uint64_t in_stripe = position_ % layout_.stripe_plain();
  uint32_t unit = static_cast<uint32_t>(in_stripe / layout_.unit_plain());
  uint32_t offset = static_cast<uint32_t>(in_stripe % layout_.unit_plain());
  return {pipeline_.unit(unit) + offset, layout_.unit_plain() - offset};
}

void StreamWriter::advance(size_t n) {
  position_ += n;
  if (position_ % layout_.stripe_plain() == 0) pipeline_.submit();
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
  pipeline_.finish();
}

}  // namespace ferry::pack

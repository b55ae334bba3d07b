#include "ferry/sample_order.h"

#include <algorithm>
#include <utility>

namespace ferry {
namespace {

// SplitMix64: small, fast, and specified in the header so other implementations (the
// Python side, a test) can reproduce an order bit for bit.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, bound): the bias is below 2^-40 for any bound a set has.
  uint64_t below(uint64_t bound) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
  }

 private:
  uint64_t state_;
};

template <typename T>
void fisher_yates(T* first, size_t count, SplitMix64& rng) {
  for (size_t i = count; i > 1; --i) std::swap(first[i - 1], first[rng.below(i)]);
}

}  // namespace

SampleOrder sample_order(const std::vector<uint64_t>& sizes, const SampleOrderOptions& options) {
  // Spans: [begin, end) of sample indices, each closed once it holds span_bytes.
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  uint64_t begin = 0, bytes = 0;
  const uint64_t span_bytes = std::max<uint64_t>(options.span_bytes, 1);
  for (uint64_t i = 0; i < sizes.size(); ++i) {
    bytes += sizes[i];
    if (bytes >= span_bytes) {
      spans.emplace_back(begin, i + 1);
      begin = i + 1;
      bytes = 0;
    }
  }
  if (begin < sizes.size()) spans.emplace_back(begin, sizes.size());

  SplitMix64 rng(options.seed ^ (options.epoch * 0x9E3779B97F4A7C15ull));
  if (options.shuffle) fisher_yates(spans.data(), spans.size(), rng);

  SampleOrder result;
  result.order.reserve(sizes.size());
  const size_t window = std::max<uint32_t>(options.window_spans, 1);
  for (size_t w = 0; w < spans.size(); w += window) {
    size_t start = result.order.size();
    result.window_starts.push_back(start);
    for (size_t s = w; s < std::min(w + window, spans.size()); ++s) {
      for (uint64_t i = spans[s].first; i < spans[s].second; ++i) result.order.push_back(i);
    }
    if (options.shuffle) {
      fisher_yates(result.order.data() + start, result.order.size() - start, rng);
    }
  }
  return result;
}

}  // namespace ferry

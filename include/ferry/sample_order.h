// The order in which a training epoch (or a shuffled export) visits the samples of a
// shipment: shuffled, yet sequential enough for hard drives.
//
// Samples are given in the order their bytes lie on the drives (catalog order). They
// are cut into spans of consecutive samples of about `span_bytes` each; the spans are
// permuted by (seed, epoch); consecutive runs of `window_spans` permuted spans form
// windows, and the samples of each window are shuffled among themselves. A reader that
// works through one window at a time therefore reads `window_spans` runs of about
// `span_bytes` contiguous bytes each (a seek per span), and never comes back to a unit
// once its window is done: with a unit cache of one window's bytes, each byte is read
// from the drives once per epoch.
//
// The order depends only on the sample sizes, the seed and the epoch — not on how many
// processes or threads consume it — and is the same on every machine (the generator is
// ferry's own, specified here: SplitMix64 seeded with seed ^ (epoch * 0x9E3779B97F4A7C15),
// Fisher-Yates from the back, index = (x * (i + 1)) >> 64 for a 64-bit draw x).
#pragma once

#include <cstdint>
#include <vector>

namespace ferry {

struct SampleOrderOptions {
  bool shuffle = true;
  uint64_t seed = 0;
  uint64_t epoch = 0;
  // 64 MiB a seek keeps a hard drive's seek cost near 5 %; four spans a window mix
  // samples from four distant places of the set.
  uint64_t span_bytes = 64ull << 20;
  uint32_t window_spans = 4;
};

struct SampleOrder {
  std::vector<uint64_t> order;           // sample indices, each exactly once
  std::vector<uint64_t> window_starts;   // positions in `order` where each window begins
};

// `sizes[i]` is the stored size in bytes of sample i, samples in drive order. Without
// shuffle, the order is 0, 1, 2, … and windows still group the spans.
SampleOrder sample_order(const std::vector<uint64_t>& sizes, const SampleOrderOptions& options);

}  // namespace ferry

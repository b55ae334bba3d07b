// Counters a long operation updates as it goes and a display thread may read at any
// time. The library never prints: the command line turns these into a progress line.
#pragma once

#include <atomic>
#include <cstdint>

namespace ferry {

struct Progress {
  std::atomic<const char*> phase{"starting"};  // a static string such as "packing"
  std::atomic<uint64_t> bytes_done{0};
  std::atomic<uint64_t> bytes_total{0};
  std::atomic<uint64_t> files_done{0};
  std::atomic<uint64_t> files_total{0};
};

}  // namespace ferry

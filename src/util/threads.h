// How many worker threads to start: what the user asked for, else one per core.
#pragma once

#include <algorithm>
#include <thread>

namespace ferry::util {

inline int worker_threads(int requested) {
  return requested > 0 ? requested : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace ferry::util

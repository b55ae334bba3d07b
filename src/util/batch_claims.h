// Stripes shared out to worker threads in small batches: each thread claims the next
// batch when it is done with one, so a slow drive or a costly stripe holds up one thread,
// not a fixed share of the work. Verify's block scan and repair use it.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "util/threads.h"

namespace ferry::util {

class BatchClaims {
 public:
  // [0, end) in batches of `batch`; no more claims once `stop` (may be null) is set.
  BatchClaims(uint64_t end, uint64_t batch, const std::atomic<bool>* stop = nullptr)
      : end_(end), batch_(batch), stop_(stop) {}

  // The next batch, [first, last); false when none is left or the work was stopped.
  bool next(uint64_t& first, uint64_t& last) {
    if (cancelled_.load() || (stop_ && stop_->load())) return false;
    first = next_.fetch_add(batch_);
    if (first >= end_) return false;
    last = std::min(first + batch_, end_);
    return true;
  }
  // No batch is handed out after this.
  void cancel() { cancelled_ = true; }

 private:
  const uint64_t end_, batch_;
  const std::atomic<bool>* stop_;
  std::atomic<uint64_t> next_{0};
  std::atomic<bool> cancelled_{false};
};

// Runs body() on `threads` threads named `name`, each claiming from `claims` until it
// runs dry. The first exception cancels the claims, so the others stop after their
// batch, and is rethrown once every thread has ended.
template <typename Body>
void run_claiming(int threads, const char* name, BatchClaims& claims, const Body& body) {
  std::mutex mutex;
  std::exception_ptr first_error;
  std::vector<std::thread> pool;
  for (int i = 0; i < std::max(1, threads); ++i) {
    pool.emplace_back([&] {
      name_this_thread(name);
      try {
        body();
      } catch (...) {
        claims.cancel();
        std::lock_guard lock(mutex);
        if (!first_error) first_error = std::current_exception();
      }
    });
  }
  for (std::thread& t : pool) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace ferry::util

// Delivers stripes in ascending order while a pool of threads reads and decodes the
// ones ahead, a fixed window of them, so every drive is busy and memory stays bounded.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "read/stripe_reader.h"

namespace ferry::read {

struct FetchedStripe {
  uint64_t stripe = 0;
  std::vector<uint8_t> plain;  // k × unit_plain bytes
  StripeResult result;
};

class StripeSource {
 public:
  // `schedule` yields the stripes wanted, strictly ascending, then nullopt. It is called
  // from worker threads, one call at a time.
  using Schedule = std::function<std::optional<uint64_t>()>;

  StripeSource(const StripeReader& reader, const codec::Key& block_key, Schedule schedule,
               int threads);
  ~StripeSource();
  StripeSource(const StripeSource&) = delete;
  StripeSource& operator=(const StripeSource&) = delete;

  // The next stripe of the schedule, or nullptr after the last. Valid until the next call.
  const FetchedStripe* next();

 private:
  struct Slot {
    FetchedStripe fetched;
    enum State { kFree, kWorking, kReady } state = kFree;
    uint64_t sequence = 0;  // position in the schedule
  };
  void work(const codec::Key& block_key);

  const StripeReader& reader_;
  Schedule schedule_;
  std::vector<Slot> ring_;
  std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t issued_ = 0;    // schedule positions handed to workers
  uint64_t consumed_ = 0;  // positions delivered by next()
  bool schedule_done_ = false;
  uint64_t schedule_length_ = UINT64_MAX;
  bool stopping_ = false;
  bool holding_ = false;  // next() returned a slot the caller may still read
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

}  // namespace ferry::read

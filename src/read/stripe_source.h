// Delivers stripes in ascending order while a pool of threads reads and decodes the
// ones ahead, a fixed window of them, so every drive is busy and memory stays bounded.
// Optional stages see every stripe before it is delivered: first an ordered one, one
// stripe at a time in schedule order, then an unordered one, in parallel (restore
// hashes its files there: the pieces of files that span stripes in order, the files
// a stripe holds whole in parallel).
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

#include "codec/sha256.h"
#include "read/stripe_reader.h"
#include "read/unit_fetcher.h"
#include "util/no_init_allocator.h"

namespace ferry::read {

struct FetchedStripe {
  uint64_t stripe = 0;
  util::ByteBuffer plain;  // k × unit_plain bytes
  StripeResult result;
  // For StreamFileHasher: the files that end in this stripe, with their digests, and
  // those that lie whole in it, still to be hashed.
  std::vector<std::pair<int64_t, codec::Digest>> digests;
  struct FilePart {
    int64_t id;
    size_t begin, len;  // in plain
  };
  std::vector<FilePart> whole_files;
};

class StripeSource {
 public:
  // `schedule` yields the stripes wanted, strictly ascending, then nullopt. It is called
  // from worker threads, one call at a time.
  using Schedule = std::function<std::optional<uint64_t>()>;
  // Called for every stripe on a worker thread before it is delivered.
  using Stage = std::function<void(FetchedStripe&)>;
  struct Stages {
    Stage ordered;    // one stripe at a time, in schedule order
    Stage unordered;  // after the ordered stage, on several stripes at once
  };

  StripeSource(const StripeReader& reader, const codec::Key& block_key, Schedule schedule,
               int threads, Stages stages = {});
  ~StripeSource();
  StripeSource(const StripeSource&) = delete;
  StripeSource& operator=(const StripeSource&) = delete;

  // The next stripe of the schedule, or nullptr after the last. Valid until the next call.
  const FetchedStripe* next();

 private:
  struct Slot {
    FetchedStripe fetched;
    enum State { kFree, kWorking, kDecoded, kReady } state = kFree;
    uint64_t sequence = 0;  // position in the schedule
  };
  static constexpr uint32_t kHedgeMostMs = 200;  // UnitFetcher: a late block's upper bound
  void work();
  // Takes decoded stripes through the stages while it is their turn and no other
  // thread runs the ordered stage; caller holds `lock`.
  void run_stages(std::unique_lock<std::mutex>& lock);

  const StripeReader& reader_;
  UnitFetcher fetcher_;
  Schedule schedule_;
  Stages stages_;
  uint64_t ordered_ = 0;   // schedule positions through the ordered stage
  bool ordering_ = false;  // a worker is running the ordered stage
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

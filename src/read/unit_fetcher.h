// Reads the data units of a stripe the way every reader of a shipment does: each from
// its own block when that block is there, intact and prompt; otherwise from any k
// members of the stripe, the first good ones to arrive, rebuilt with Reed–Solomon. A
// drive that has not answered after `hedge_after` while parity is left is read around
// (a hedged read) and counted as slow. Every unit handed out is authenticated.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "codec/aead.h"
#include "read/stripe_reader.h"
#include "read/task_pool.h"
#include "read/unit_cache.h"

namespace ferry::read {

// Per-slot and overall counts, updated by every read. Thread-safe.
struct FetchCounters {
  explicit FetchCounters(uint32_t n) : bytes(n), slow(n), errors(n) {}
  std::vector<std::atomic<uint64_t>> bytes, slow, errors;
  std::atomic<uint64_t> units_opened{0}, stripes_rebuilt{0};
};

class UnitFetcher {
 public:
  UnitFetcher(const StripeReader& reader, const codec::Key& block_key,
              std::chrono::milliseconds hedge_after);

  // Reads the data units of `stripe` in `want` (bit j: data unit j) into out[j], each
  // unit_plain bytes. When the stripe has to be rebuilt, every other data unit whose
  // out[j] is not null is filled too. `result.unit_ok[j]` says which units are there;
  // the others could not be recovered (the reasons in `result.problems`). Thread-safe.
  StripeResult read(uint64_t stripe, uint64_t want, uint8_t* const* out) const;

  // Data unit `unit` alone. `also` receives the other data units a rebuild recovered,
  // for the cache. Throws kCorruption naming the unit and what was wrong with its members.
  using Also = std::function<void(uint64_t unit, UnitCache::Item)>;
  UnitCache::Item fetch(uint64_t unit, const Also& also) const;

  FetchCounters& counters() const { return counters_; }

 private:
  struct Gather;  // the members of one stripe as their reads come in
  // Block buffers kept for reuse: a fresh one per block read costs page faults (the
  // allocator hands large buffers back to the kernel), more than the read itself.
  struct RecordPool {
    static constexpr size_t kKept = 64;
    util::ByteBuffer take(size_t size);
    void give(util::ByteBuffer&& buffer);
    std::mutex mutex;
    std::vector<util::ByteBuffer> free;
  };
  void start_read(const std::shared_ptr<Gather>& gather, uint32_t member) const;
  bool open_unit(uint64_t stripe, uint32_t member, const uint8_t* payload, uint8_t* out) const;
  // Opens the good data members not yet opened into out[] (or scratch), so that no block
  // with a right CRC but a wrong tag feeds a rebuild. Called and returns with `lock` held.
  void authenticate(Gather& gather, std::unique_lock<std::mutex>& lock, uint8_t* const* out,
                    StripeResult& result) const;
  void rebuild(const std::shared_ptr<Gather>& gather, std::unique_lock<std::mutex>& lock,
               uint8_t* const* out, StripeResult& result) const;

  const StripeReader& reader_;
  format::Layout layout_;
  codec::Key block_key_;
  std::chrono::milliseconds hedge_after_;
  mutable FetchCounters counters_;
  // A member is read around when it has not answered after kHedgeFactor times the
  // drives' usual time for a block, plus kHedgeFloor (scheduling noise on a busy
  // machine), and never later than `hedge_after`; and at once while its drive already
  // has kMaxInFlightPerSlot reads waiting.
  static constexpr uint64_t kHedgeFactor = 3;
  static constexpr std::chrono::microseconds kHedgeFloor{10000};
  static constexpr uint32_t kMaxInFlightPerSlot = 4;
  void record_latency(uint32_t slot, std::chrono::steady_clock::duration took) const;
  std::chrono::microseconds hedge_deadline() const;
  mutable std::vector<std::atomic<uint32_t>> in_flight_;
  mutable std::vector<std::atomic<uint64_t>> latency_us_;  // moving average a block, per slot

  // AES-GCM contexts are not thread-safe: borrowed one per open.
  mutable std::mutex ciphers_mutex_;
  mutable std::vector<std::unique_ptr<codec::AesGcm>> ciphers_;
  mutable RecordPool records_;  // before pool_: the reads it runs give their buffers back
  mutable TaskPool pool_;  // last: joined first, while everything its reads use lives
};

}  // namespace ferry::read

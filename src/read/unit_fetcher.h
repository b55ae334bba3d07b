// Fetches single data units for random access: the one block that holds the unit when
// it is there, intact and prompt; otherwise any k members of its stripe, the first to
// arrive, rebuilt with Reed–Solomon (a hedged read: a late drive is read around when
// the layout has parity, and reported). Every unit returned is authenticated.
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

// Per-slot and overall counts, updated by every fetch. Thread-safe.
struct FetchCounters {
  explicit FetchCounters(uint32_t n) : bytes(n), slow(n), errors(n) {}
  std::vector<std::atomic<uint64_t>> bytes, slow, errors;
  std::atomic<uint64_t> units_opened{0}, stripes_rebuilt{0};
};

class UnitFetcher {
 public:
  // `also` receives the other data units a rebuild recovered, for the cache.
  using Also = std::function<void(uint64_t unit, UnitCache::Item)>;

  UnitFetcher(const StripeReader& reader, const format::ShipmentId& shipment,
              const codec::Key& block_key, std::chrono::milliseconds hedge_after);

  // The plaintext of data unit `unit`. Throws kCorruption naming the unit and what was
  // wrong with its members when fewer than k good ones could be had.
  UnitCache::Item fetch(uint64_t unit, const Also& also) const;

  FetchCounters& counters() const { return counters_; }

 private:
  struct Gather;  // the members of one stripe as their reads come in
  void start_read(const std::shared_ptr<Gather>& gather, uint32_t member) const;
  bool open_unit(uint64_t stripe, uint32_t member, const uint8_t* payload, uint8_t* out) const;
  UnitCache::Item rebuild(uint64_t stripe, uint32_t member, const std::shared_ptr<Gather>& gather,
                          const Also& also) const;

  const StripeReader& reader_;
  format::ShipmentId shipment_;
  format::Layout layout_;
  codec::Key block_key_;
  std::chrono::milliseconds hedge_after_;
  mutable FetchCounters counters_;
  mutable TaskPool pool_;
  // AES-GCM contexts are not thread-safe: borrowed one per open.
  mutable std::mutex ciphers_mutex_;
  mutable std::vector<std::unique_ptr<codec::AesGcm>> ciphers_;
};

}  // namespace ferry::read

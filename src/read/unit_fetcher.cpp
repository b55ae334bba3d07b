#include "read/unit_fetcher.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>

#include "ferry/error.h"
#include "format/block.h"

namespace ferry::read {

struct UnitFetcher::Gather {
  enum State : uint8_t { kIdle, kReading, kGood, kBad };
  Gather(uint64_t stripe, uint32_t n, RecordPool& pool)
      : stripe(stripe), pool(pool), records(n), state(n, kIdle), opened(n) {}
  ~Gather() {
    for (auto& r : records) pool.give(std::move(r));
  }
  const uint64_t stripe;
  RecordPool& pool;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<util::ByteBuffer> records;  // a member's record, once its read is done
  std::vector<State> state;
  std::vector<bool> opened;  // data members whose unit was authenticated
  uint64_t late = 0;         // members that did not answer in time (still reading)
  uint32_t reading = 0, good = 0;
  uint64_t finished = 0;     // reads done, good or bad
  std::vector<std::string> problems;

  uint32_t reading_in_time() const {
    uint32_t n = 0;
    for (size_t i = 0; i < state.size(); ++i) n += state[i] == kReading && !(late >> i & 1);
    return n;
  }
  // The next member to read: one not known to be late, else a late one not yet started.
  uint32_t first_idle() const {
    for (int pass = 0; pass < 2; ++pass) {
      for (uint32_t i = 0; i < state.size(); ++i) {
        if (state[i] == kIdle && (pass == 1 || !(late >> i & 1))) return i;
      }
    }
    return static_cast<uint32_t>(state.size());
  }
};

UnitFetcher::UnitFetcher(const StripeReader& reader, const codec::Key& block_key,
                         std::chrono::milliseconds hedge_after)
    : reader_(reader),
      layout_(reader.layout()),
      block_key_(block_key),
      hedge_after_(hedge_after),
      counters_(reader.layout().n()),
      in_flight_(reader.layout().n()),
      latency_us_(reader.layout().n()),
      // Enough threads that every drive can have a few reads in flight, and a late
      // drive's stuck reads do not starve the others.
      pool_(static_cast<int>(std::min<uint32_t>(4 * reader.layout().n(), 64))) {}

void UnitFetcher::start_read(const std::shared_ptr<Gather>& gather, uint32_t member) const {
  gather->state[member] = Gather::kReading;
  ++gather->reading;
  const uint32_t slot = layout_.slot_of(gather->stripe, member);
  ++in_flight_[slot];
  pool_.submit([this, gather, member, slot] {
    util::ByteBuffer record = records_.take(layout_.record_size());
    std::string problem;
    BlockStatus status = BlockStatus::kUnreadable;
    const auto started = std::chrono::steady_clock::now();
    try {
      status = reader_.fetch(gather->stripe, member, record.data(), &problem);
    } catch (const std::exception& e) {
      problem = e.what();
    }
    record_latency(slot, std::chrono::steady_clock::now() - started);
    --in_flight_[slot];
    if (status == BlockStatus::kOk) {
      counters_.bytes[slot] += layout_.record_size();
    } else {
      ++counters_.errors[slot];
    }
    std::lock_guard lock(gather->mutex);
    --gather->reading;
    ++gather->finished;
    if (status == BlockStatus::kOk) {
      gather->records[member] = std::move(record);
      gather->state[member] = Gather::kGood;
      ++gather->good;
    } else {
      gather->state[member] = Gather::kBad;
      gather->problems.push_back(problem);
      records_.give(std::move(record));
    }
    gather->changed.notify_all();
  });
}

void UnitFetcher::record_latency(uint32_t slot, std::chrono::steady_clock::duration took) const {
  const uint64_t us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(took).count());
  // A moving average, an eighth of the new read each time; races between threads only
  // lose a sample.
  const uint64_t old = latency_us_[slot].load(std::memory_order_relaxed);
  latency_us_[slot].store(old == 0 ? us + 1 : old - old / 8 + us / 8 + 1, std::memory_order_relaxed);
}

std::chrono::microseconds UnitFetcher::hedge_deadline() const {
  // Against the drives' usual answer: the median of the slots' averages, so that one
  // slow drive does not raise the bar it is measured by.
  std::vector<uint64_t> seen;
  for (const auto& l : latency_us_) {
    if (uint64_t v = l.load(std::memory_order_relaxed)) seen.push_back(v);
  }
  const auto most = std::chrono::duration_cast<std::chrono::microseconds>(hedge_after_);
  if (seen.empty()) return most;
  std::nth_element(seen.begin(), seen.begin() + static_cast<long>((seen.size() - 1) / 2), seen.end());
  const uint64_t usual = seen[(seen.size() - 1) / 2];
  const auto deadline = std::chrono::microseconds(kHedgeFactor * usual) + kHedgeFloor;
  return std::min(deadline, most);
}

util::ByteBuffer UnitFetcher::RecordPool::take(size_t size) {
  {
    std::lock_guard lock(mutex);
    if (!free.empty()) {
      util::ByteBuffer b = std::move(free.back());
      free.pop_back();
      b.resize(size);
      return b;
    }
  }
  return util::ByteBuffer(size);
}

void UnitFetcher::RecordPool::give(util::ByteBuffer&& buffer) {
  if (buffer.empty()) return;
  std::lock_guard lock(mutex);
  if (free.size() < kKept) free.push_back(std::move(buffer));
}

bool UnitFetcher::open_unit(uint64_t stripe, uint32_t member, const uint8_t* payload,
                            uint8_t* out) const {
  std::unique_ptr<codec::AesGcm> cipher;
  {
    std::lock_guard lock(ciphers_mutex_);
    if (!ciphers_.empty()) {
      cipher = std::move(ciphers_.back());
      ciphers_.pop_back();
    }
  }
  if (!cipher) cipher = std::make_unique<codec::AesGcm>(block_key_);
  const bool ok = reader_.stripe_format().open_unit(*cipher, reader_.attempts().of(stripe), stripe,
                                                    member, payload, out);
  std::lock_guard lock(ciphers_mutex_);
  ciphers_.push_back(std::move(cipher));
  if (ok) ++counters_.units_opened;
  return ok;
}

void UnitFetcher::authenticate(Gather& g, std::unique_lock<std::mutex>& lock,
                               uint8_t* const* out, StripeResult& result) const {
  util::ByteBuffer scratch;
  for (uint32_t j = 0; j < layout_.k; ++j) {
    if (g.state[j] != Gather::kGood || g.opened[j]) continue;
    uint8_t* dest = out[j];
    if (!dest) {
      scratch.resize(layout_.unit_plain());
      dest = scratch.data();
    }
    // A good member's record is never written again: it can be read unlocked.
    const uint8_t* payload = g.records[j].data() + format::kBlockHeaderSize;
    lock.unlock();
    const bool ok = open_unit(g.stripe, j, payload, dest);
    lock.lock();
    if (ok) {
      g.opened[j] = true;
      if (out[j]) result.unit_ok[j] = true;
    } else {
      // Right CRC, wrong authentication: altered or replayed on purpose. Lost, like a
      // missing block.
      g.state[j] = Gather::kBad;
      --g.good;
      ++result.unauthentic;
      ++counters_.errors[layout_.slot_of(g.stripe, j)];
      g.problems.push_back("slot " + std::to_string(layout_.slot_of(g.stripe, j)) + " stripe " +
                           std::to_string(g.stripe) + ": unit " +
                           std::to_string(g.stripe * layout_.k + j) + " fails authentication");
    }
  }
}

StripeResult UnitFetcher::read(uint64_t stripe, uint64_t want, uint8_t* const* out) const {
  const uint32_t k = layout_.k, n = layout_.n();
  StripeResult result;
  result.unit_ok.assign(k, false);
  auto gather = std::make_shared<Gather>(stripe, n, records_);
  Gather& g = *gather;
  std::unique_lock lock(g.mutex);
  const auto deadline = std::chrono::steady_clock::now() + hedge_deadline();
  for (uint32_t j = 0; j < k; ++j) {
    if (!(want >> j & 1)) continue;
    const uint32_t slot = layout_.slot_of(stripe, j);
    if (layout_.m > 0 && in_flight_[slot] >= kMaxInFlightPerSlot) {
      // That drive is behind already: another read would only queue behind the others.
      // Read around it from the start.
      g.late |= 1ull << j;
      ++counters_.slow[slot];
      continue;
    }
    start_read(gather, j);
  }
  // The wanted blocks, each from its own drive, while they come in time.
  auto wanted_in = [&] {
    for (uint32_t j = 0; j < k; ++j) {
      if ((want >> j & 1) && g.state[j] == Gather::kReading) return false;
    }
    return true;
  };
  if (layout_.m == 0) {
    g.changed.wait(lock, wanted_in);  // no parity: nothing else to read
  } else {
    g.changed.wait_until(lock, deadline, wanted_in);
  }
  authenticate(g, lock, out, result);
  bool all = true;
  for (uint32_t j = 0; j < k; ++j) all = all && (!(want >> j & 1) || result.unit_ok[j]);
  if (!all) {
    for (uint32_t j = 0; j < k; ++j) {
      if ((want >> j & 1) && g.state[j] == Gather::kReading) {
        g.late |= 1ull << j;
        ++counters_.slow[layout_.slot_of(stripe, j)];
      }
    }
    rebuild(gather, lock, out, result);
  }
  for (auto& p : g.problems) result.problems.push_back(std::move(p));
  return result;
}

void UnitFetcher::rebuild(const std::shared_ptr<Gather>& gather, std::unique_lock<std::mutex>& lock,
                          uint8_t* const* out, StripeResult& result) const {
  Gather& g = *gather;
  const uint32_t k = layout_.k, n = layout_.n();
  for (;;) {
    authenticate(g, lock, out, result);
    if (g.good >= k) break;
    const uint32_t idle = g.first_idle();
    if (g.good + g.reading_in_time() < k && idle < n) {
      // Those in flight (and in time) cannot make up k: read another member.
      start_read(gather, idle);
      continue;
    }
    if (g.reading == 0) break;  // nothing in flight and nothing left to try
    // Wait for a read to finish; when none does in time and a member is left, hedge.
    const uint64_t seen = g.finished;
    auto finished = [&] { return g.finished != seen; };
    if (idle == n) {
      g.changed.wait(lock, finished);
    } else if (!g.changed.wait_for(lock, hedge_deadline(), finished)) {
      start_read(gather, idle);
    }
  }
  if (g.good < k) {
    g.problems.push_back("stripe " + std::to_string(g.stripe) + ": fewer than " +
                         std::to_string(k) + " good members of " + std::to_string(n));
    return;
  }
  // Rebuild every member from k good ones, as they are now.
  std::vector<util::ByteBuffer> scratch(n);
  std::vector<uint8_t*> payloads(n);
  uint64_t present = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (g.state[i] == Gather::kGood && __builtin_popcountll(present) < static_cast<int>(k)) {
      payloads[i] = g.records[i].data() + format::kBlockHeaderSize;
      present |= 1ull << i;
    } else {
      scratch[i].resize(layout_.block_size);
      payloads[i] = scratch[i].data();
    }
  }
  lock.unlock();
  const bool rebuilt = reader_.erasure().reconstruct(layout_.block_size, payloads.data(), present);
  if (rebuilt) ++counters_.stripes_rebuilt;
  for (uint32_t j = 0; j < k; ++j) {
    if (!out[j] || result.unit_ok[j]) continue;
    if (rebuilt && open_unit(g.stripe, j, payloads[j], out[j])) {
      result.unit_ok[j] = true;
      ++result.rebuilt;
    } else {
      result.problems.push_back("stripe " + std::to_string(g.stripe) + " unit " +
                                std::to_string(g.stripe * k + j) +
                                " could not be rebuilt: its members hold altered bytes");
    }
  }
  lock.lock();
}

UnitCache::Item UnitFetcher::fetch(uint64_t unit, const Also& also) const {
  const uint32_t k = layout_.k;
  const uint64_t stripe = unit / k;
  const uint32_t member = static_cast<uint32_t>(unit % k);
  // Room for every unit of the stripe: filled only when it has to be rebuilt (pages of
  // the others are never touched otherwise).
  std::vector<std::shared_ptr<util::ByteBuffer>> units(k);
  std::vector<uint8_t*> out(k);
  for (uint32_t j = 0; j < k; ++j) {
    units[j] = std::make_shared<util::ByteBuffer>(layout_.unit_plain());
    out[j] = units[j]->data();
  }
  // With a data member's drive missing, the stripe is rebuilt as soon as that unit is
  // wanted: reading every unit of it now, from k members, reads each block once, where
  // unit by unit would read the present ones again for the rebuild.
  uint64_t want = 1ull << member;
  for (uint32_t j = 0; j < k; ++j) {
    if (!reader_.has_slot(layout_.slot_of(stripe, j))) want = format::all_members(k);
  }
  StripeResult result = read(stripe, want, out.data());
  if (!result.unit_ok[member]) {
    std::string message = "data unit " + std::to_string(unit) + " (stripe " +
                          std::to_string(stripe) + ") cannot be recovered from the drives given";
    for (const auto& p : result.problems) message += "\n  " + p;
    throw Error(ErrorKind::kCorruption, message);
  }
  for (uint32_t j = 0; j < k; ++j) {
    if (j != member && result.unit_ok[j]) also(stripe * k + j, units[j]);
  }
  return units[member];
}

}  // namespace ferry::read

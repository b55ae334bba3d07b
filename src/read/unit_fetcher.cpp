#include "read/unit_fetcher.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>

#include "ferry/error.h"
#include "format/block.h"

namespace ferry::read {

struct UnitFetcher::Gather {
  enum State : uint8_t { kIdle, kReading, kGood, kBad };
  Gather(uint64_t stripe, uint32_t n) : stripe(stripe), records(n), state(n, kIdle) {}
  const uint64_t stripe;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<util::ByteBuffer> records;  // a member's record, once its read is done
  std::vector<State> state;
  std::vector<std::string> problems;
  uint32_t reading = 0, good = 0;
  uint64_t finished = 0;  // reads done, good or bad
};

UnitFetcher::UnitFetcher(const StripeReader& reader, const format::ShipmentId& shipment,
                         const codec::Key& block_key, std::chrono::milliseconds hedge_after)
    : reader_(reader),
      shipment_(shipment),
      layout_(reader.layout()),
      block_key_(block_key),
      hedge_after_(hedge_after),
      counters_(reader.layout().n()),
      // Enough threads that every drive can have a few reads in flight, and a late
      // drive's stuck reads do not starve the others.
      pool_(static_cast<int>(std::min<uint32_t>(4 * reader.layout().n(), 64))) {}

void UnitFetcher::start_read(const std::shared_ptr<Gather>& gather, uint32_t member) const {
  gather->state[member] = Gather::kReading;
  ++gather->reading;
  pool_.submit([this, gather, member] {
    util::ByteBuffer record(layout_.record_size());
    std::string problem;
    BlockStatus status = BlockStatus::kUnreadable;
    try {
      status = reader_.fetch(gather->stripe, member, record.data(), &problem);
    } catch (const std::exception& e) {
      problem = e.what();
    }
    const uint32_t slot = layout_.slot_of(gather->stripe, member);
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
    }
    gather->changed.notify_all();
  });
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
  codec::Nonce nonce;
  std::memcpy(nonce.data(), payload, nonce.size());
  uint8_t aad[format::kUnitAadSize];
  format::unit_aad(shipment_, layout_, stripe * layout_.k + member, aad);
  const uint8_t* text = payload + codec::kNonceSize;
  const uint32_t plain = layout_.unit_plain();
  bool ok = cipher->open(nonce, aad, sizeof aad, text, plain, out, text + plain);
  std::lock_guard lock(ciphers_mutex_);
  ciphers_.push_back(std::move(cipher));
  if (ok) ++counters_.units_opened;
  return ok;
}

UnitCache::Item UnitFetcher::fetch(uint64_t unit, const Also& also) const {
  const uint64_t stripe = unit / layout_.k;
  const uint32_t member = static_cast<uint32_t>(unit % layout_.k);
  auto gather = std::make_shared<Gather>(stripe, layout_.n());
  std::unique_lock lock(gather->mutex);
  start_read(gather, member);
  auto arrived = [&] { return gather->state[member] != Gather::kReading; };
  if (layout_.m == 0) {
    gather->changed.wait(lock, arrived);
  } else if (!gather->changed.wait_for(lock, hedge_after_, arrived)) {
    // Late: read k other members at once and rebuild from whichever k come first.
    ++counters_.slow[layout_.slot_of(stripe, member)];
    for (uint32_t i = 0, started = 0; i < layout_.n() && started < layout_.k; ++i) {
      if (i != member) start_read(gather, i), ++started;
    }
  }
  if (gather->state[member] == Gather::kGood) {
    auto plain = std::make_shared<util::ByteBuffer>(layout_.unit_plain());
    const uint8_t* payload = gather->records[member].data() + format::kBlockHeaderSize;
    if (open_unit(stripe, member, payload, plain->data())) return plain;
    // Right CRC, wrong authentication: altered or replayed. Rebuilt like a lost block.
    gather->state[member] = Gather::kBad;
    --gather->good;
    ++counters_.errors[layout_.slot_of(stripe, member)];
    gather->problems.push_back("slot " + std::to_string(layout_.slot_of(stripe, member)) +
                               " stripe " + std::to_string(stripe) + ": unit " +
                               std::to_string(unit) + " fails authentication");
  }
  lock.unlock();
  return rebuild(stripe, member, gather, also);
}

UnitCache::Item UnitFetcher::rebuild(uint64_t stripe, uint32_t member,
                                     const std::shared_ptr<Gather>& gather,
                                     const Also& also) const {
  const uint32_t k = layout_.k, n = layout_.n();
  const uint32_t unit_plain = layout_.unit_plain();
  std::vector<util::ByteBuffer> plains(k);  // the data units opened so far
  std::unique_lock lock(gather->mutex);
  for (;;) {
    // Authenticate the good data members first: one whose CRC is right but whose unit is
    // not authentic must not feed the rebuild.
    for (uint32_t i = 0; i < k; ++i) {
      if (gather->state[i] != Gather::kGood || !plains[i].empty()) continue;
      plains[i].resize(unit_plain);
      if (!open_unit(stripe, i, gather->records[i].data() + format::kBlockHeaderSize,
                     plains[i].data())) {
        plains[i].clear();
        gather->state[i] = Gather::kBad;
        --gather->good;
        gather->problems.push_back("stripe " + std::to_string(stripe) + " unit " +
                                   std::to_string(stripe * k + i) + " fails authentication");
      }
    }
    if (gather->good >= k) break;
    uint32_t idle = 0;
    while (idle < n && gather->state[idle] != Gather::kIdle) ++idle;
    if (gather->good + gather->reading < k && idle < n) {
      start_read(gather, idle);  // those in flight cannot make up k
      continue;
    }
    if (gather->reading == 0) break;  // nothing in flight and nothing left to try
    // Wait for a read to finish; when none does in time and a member is left, hedge.
    const uint64_t seen = gather->finished;
    auto finished = [&] { return gather->finished != seen; };
    if (idle == n) {
      gather->changed.wait(lock, finished);
    } else if (!gather->changed.wait_for(lock, hedge_after_, finished)) {
      start_read(gather, idle);
    }
  }
  const uint64_t unit = stripe * k + member;
  if (gather->good < k) {
    std::string message = "data unit " + std::to_string(unit) + " (stripe " + std::to_string(stripe) +
                          ") cannot be recovered: fewer than " + std::to_string(k) +
                          " good members of its stripe";
    for (const auto& p : gather->problems) message += "\n  " + p;
    throw Error(ErrorKind::kCorruption, message);
  }
  // Rebuild every member that is not good from the good ones, taken as they are now.
  std::vector<util::ByteBuffer> scratch(n);
  std::vector<uint8_t*> payloads(n);
  uint64_t present = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (gather->state[i] == Gather::kGood && __builtin_popcountll(present) < static_cast<int>(k)) {
      payloads[i] = gather->records[i].data() + format::kBlockHeaderSize;
      present |= 1ull << i;
    } else {
      scratch[i].resize(layout_.block_size);
      payloads[i] = scratch[i].data();
    }
  }
  lock.unlock();
  if (!reader_.erasure().reconstruct(layout_.block_size, payloads.data(), present)) {
    throw Error(ErrorKind::kCorruption, "stripe " + std::to_string(stripe) + " cannot be rebuilt");
  }
  ++counters_.stripes_rebuilt;
  UnitCache::Item wanted;
  for (uint32_t i = 0; i < k; ++i) {
    auto plain = std::make_shared<util::ByteBuffer>();
    if (!plains[i].empty() && (present >> i & 1)) {
      *plain = std::move(plains[i]);
    } else {
      plain->resize(unit_plain);
      if (!open_unit(stripe, i, payloads[i], plain->data())) {
        if (i == member) {
          throw Error(ErrorKind::kCorruption,
                      "data unit " + std::to_string(unit) + " rebuilt from parity fails "
                      "authentication: the drives hold altered blocks of stripe " +
                          std::to_string(stripe));
        }
        continue;
      }
    }
    if (i == member) {
      wanted = plain;
    } else {
      also(stripe * k + i, plain);
    }
  }
  return wanted;
}

}  // namespace ferry::read

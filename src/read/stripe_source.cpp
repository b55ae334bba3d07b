#include "read/stripe_source.h"

#include "util/threads.h"

namespace ferry::read {

StripeSource::StripeSource(const StripeReader& reader, const codec::Key& block_key,
                           Schedule schedule, int threads, Stages stages)
    : reader_(reader),
      // The hedged reader every reader of a shipment uses: a late or failing drive is
      // read around from parity, as for random reads.
      fetcher_(reader, block_key, std::chrono::milliseconds(kHedgeMostMs)),
      schedule_(std::move(schedule)),
      stages_(std::move(stages)) {
  // Four stripes a thread: room for the threads to decode ahead while one of them runs
  // the ordered stage and the consumer writes. With two a thread, a restore of the 2 GiB
  // mixed set spent more system time (1.08–1.54 s against 0.93–1.12) and took 1.64–2.01 s
  // against 1.55–1.77 s.
  ring_.resize(static_cast<size_t>(threads) * 4 + 2);
  for (Slot& s : ring_) s.fetched.plain.resize(reader.layout().stripe_plain());
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      util::name_this_thread("ferry-read");
      work();
    });
  }
}

StripeSource::~StripeSource() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) t.join();
}

void StripeSource::work() {
  try {
    const format::Layout& layout = reader_.layout();
    std::vector<uint8_t*> units(layout.k);
    for (;;) {
      Slot* slot;
      uint64_t stripe;
      {
        std::unique_lock lock(mutex_);
        // Position `issued_` may use its ring slot once the consumer moved past its
        // previous occupant.
        changed_.wait(lock, [&] {
          return stopping_ || schedule_done_ ||
                 (issued_ < consumed_ + ring_.size() - 1 &&
                  ring_[issued_ % ring_.size()].state == Slot::kFree);
        });
        if (stopping_ || schedule_done_) return;
        std::optional<uint64_t> next = schedule_();
        if (!next) {
          schedule_done_ = true;
          schedule_length_ = issued_;
          changed_.notify_all();
          return;
        }
        slot = &ring_[issued_ % ring_.size()];
        slot->state = Slot::kWorking;
        slot->sequence = issued_++;
        stripe = *next;
      }
      slot->fetched.stripe = stripe;
      for (uint32_t j = 0; j < layout.k; ++j) {
        units[j] = slot->fetched.plain.data() + static_cast<size_t>(j) * layout.unit_plain();
      }
      slot->fetched.result = fetcher_.read(stripe, format::all_members(layout.k), units.data());
      {
        std::unique_lock lock(mutex_);
        slot->state = stages_.ordered ? Slot::kDecoded : Slot::kReady;
        if (stages_.ordered) run_stages(lock);
      }
      changed_.notify_all();
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::current_exception();
    stopping_ = true;
    changed_.notify_all();
  }
}

void StripeSource::run_stages(std::unique_lock<std::mutex>& lock) {
  // Whoever finds the next stripe decoded and the ordered stage free takes it; so no
  // decoded stripe waits for a thread that has moved on.
  while (!ordering_) {
    Slot& slot = ring_[ordered_ % ring_.size()];
    if (slot.state != Slot::kDecoded || slot.sequence != ordered_) return;
    ordering_ = true;
    lock.unlock();
    try {
      stages_.ordered(slot.fetched);
    } catch (...) {
      lock.lock();
      ordering_ = false;
      throw;
    }
    lock.lock();
    ++ordered_;
    ordering_ = false;  // the next stripe's ordered stage may start elsewhere meanwhile
    if (stages_.unordered) {
      lock.unlock();
      stages_.unordered(slot.fetched);
      lock.lock();
    }
    slot.state = Slot::kReady;
    changed_.notify_all();
  }
}

const FetchedStripe* StripeSource::next() {
  std::unique_lock lock(mutex_);
  if (holding_) {
    ring_[consumed_ % ring_.size()].state = Slot::kFree;
    ++consumed_;
    holding_ = false;
    changed_.notify_all();
  }
  Slot& slot = ring_[consumed_ % ring_.size()];
  changed_.wait(lock, [&] {
    return error_ || consumed_ >= schedule_length_ ||
           (slot.state == Slot::kReady && slot.sequence == consumed_);
  });
  if (error_) std::rethrow_exception(error_);
  if (consumed_ >= schedule_length_) return nullptr;
  holding_ = true;
  return &slot.fetched;
}

}  // namespace ferry::read

#include "codec/zstd_frame_pool.h"

#include <stdexcept>

#include "codec/zstd.h"
#include "util/threads.h"

namespace ferry::codec {

ZstdFramePool::ZstdFramePool(Direction direction, size_t frame_size, int threads)
    : direction_(direction) {
  const int workers = threads > 0 ? threads : 1;
  // Every worker busy with one frame while the caller fills the next and uses the oldest.
  slots_.resize(static_cast<size_t>(workers) * 2 + 2);
  const size_t packed = zstd_bound(frame_size);
  for (Slot& slot : slots_) {
    slot.input.resize(direction == Direction::kCompress ? frame_size : packed);
    slot.output.resize(direction == Direction::kCompress ? packed : frame_size);
  }
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

ZstdFramePool::~ZstdFramePool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  for (std::thread& t : threads_) t.join();
}

size_t ZstdFramePool::input_capacity() const { return slots_[0].input.size(); }

uint8_t* ZstdFramePool::next_input() {
  if (!has_room()) throw std::logic_error("ZstdFramePool::next_input() with every buffer in use");
  return slots_[(oldest_ + in_flight_) % slots_.size()].input.data();
}

void ZstdFramePool::submit(size_t len) {
  const size_t index = (oldest_ + in_flight_) % slots_.size();
  Slot& slot = slots_[index];
  slot.input_len = len;
  slot.error = nullptr;
  slot.done = false;
  ++in_flight_;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(index);
  }
  queued_.notify_one();
}

std::pair<const uint8_t*, size_t> ZstdFramePool::take() {
  if (in_flight_ == 0) throw std::logic_error("ZstdFramePool::take() with nothing in flight");
  Slot& slot = slots_[oldest_];
  {
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [&] { return slot.done; });
  }
  oldest_ = (oldest_ + 1) % slots_.size();
  --in_flight_;
  if (slot.error) std::rethrow_exception(slot.error);
  return {slot.output.data(), slot.output_len};
}

void ZstdFramePool::clear() {
  std::unique_lock lock(mutex_);
  queue_.clear();
  finished_.wait(lock, [&] { return busy_ == 0; });
  oldest_ = 0;
  in_flight_ = 0;
}

void ZstdFramePool::work() {
  util::name_this_thread("ferry-zstd");
  ZstdCompressor compressor;
  ZstdDecompressor decompressor;
  std::unique_lock lock(mutex_);
  for (;;) {
    queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Slot& slot = slots_[queue_.front()];
    queue_.pop_front();
    ++busy_;
    lock.unlock();
    try {
      const uint8_t* in = slot.input.data();
      uint8_t* out = slot.output.data();
      slot.output_len = direction_ == Direction::kCompress
                            ? compressor.compress(in, slot.input_len, out, slot.output.size())
                            : decompressor.decompress(in, slot.input_len, out, slot.output.size());
    } catch (...) {
      slot.error = std::current_exception();
    }
    lock.lock();
    --busy_;
    slot.done = true;
    finished_.notify_all();
  }
}

}  // namespace ferry::codec

#include "pack/frame_compressor.h"

#include <stdexcept>

#include "codec/zstd.h"
#include "format/constants.h"

namespace ferry::pack {

FrameCompressor::FrameCompressor(int threads) {
  const int workers = threads > 0 ? threads : 1;
  // Every worker busy with one frame while the caller fills the next and writes out the
  // oldest.
  slots_.resize(static_cast<size_t>(workers) * 2 + 2);
  for (Slot& slot : slots_) {
    slot.input.resize(format::kCompressionFrameSize);
    slot.output.resize(codec::zstd_bound(format::kCompressionFrameSize));
  }
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

FrameCompressor::~FrameCompressor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  for (std::thread& t : threads_) t.join();
}

uint8_t* FrameCompressor::next_input() {
  if (!has_room()) throw std::logic_error("FrameCompressor::next_input() with every buffer in use");
  return slots_[(oldest_ + in_flight_) % slots_.size()].input.data();
}

void FrameCompressor::submit(size_t len) {
  const size_t index = (oldest_ + in_flight_) % slots_.size();
  slots_[index].input_len = len;
  slots_[index].done = false;
  ++in_flight_;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(index);
  }
  queued_.notify_one();
}

std::pair<const uint8_t*, size_t> FrameCompressor::take() {
  if (in_flight_ == 0) throw std::logic_error("FrameCompressor::take() with nothing in flight");
  Slot& slot = slots_[oldest_];
  {
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [&] { return error_ || slot.done; });
    if (error_) std::rethrow_exception(error_);
  }
  oldest_ = (oldest_ + 1) % slots_.size();
  --in_flight_;
  return {slot.output.data(), slot.output_len};
}

void FrameCompressor::clear() {
  std::unique_lock lock(mutex_);
  queue_.clear();
  finished_.wait(lock, [&] { return busy_ == 0; });
  oldest_ = 0;
  in_flight_ = 0;
}

void FrameCompressor::work() {
  codec::ZstdCompressor zstd;
  std::unique_lock lock(mutex_);
  for (;;) {
    queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Slot& slot = slots_[queue_.front()];
    queue_.pop_front();
    ++busy_;
    lock.unlock();
    std::exception_ptr error;
    size_t len = 0;
    try {
      len = zstd.compress(slot.input.data(), slot.input_len, slot.output.data(), slot.output.size());
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    --busy_;
    slot.output_len = len;
    slot.done = true;
    if (error && !error_) error_ = error;
    finished_.notify_all();
  }
}

}  // namespace ferry::pack

#include "pack/stripe_pipeline.h"

#include <cstring>

#include "codec/crc32c.h"
#include "codec/erasure.h"
#include "format/block.h"
#include "format/drive_folder.h"
#include "format/stripe_format.h"
#include "ferry/error.h"
#include "io/file.h"
#include "util/threads.h"

namespace ferry::pack {
namespace {
constexpr uint64_t kRingMemoryBudget = 192ull << 20;
}

StripePipeline::StripePipeline(const PipelineConfig& config)
    : config_(config),
      record_size_(config.layout.record_size()),
      next_stripe_(config.first_stripe),
      synced_stripe_(config.first_stripe),
      queued_end_(config.first_stripe) {
  const format::Layout& layout = config_.layout;
  size_t stripe_bytes = record_size_ * layout.n();
  // Enough buffers for every encoder to work while each writer drains one.
  size_t wanted = static_cast<size_t>(config_.threads) * 2 + 2;
  size_t affordable = std::max<size_t>(3, kRingMemoryBudget / stripe_bytes);
  ring_.resize(std::min(wanted, affordable));
  for (Slot& slot : ring_) slot.buffer.reset(new uint8_t[stripe_bytes]);

  if (config_.before_seal) threads_.emplace_back([this] { before_seal_loop(); });
  for (int i = 0; i < config_.threads; ++i) threads_.emplace_back([this] { encode_loop(); });
  for (uint32_t s = 0; s < layout.n(); ++s) threads_.emplace_back([this, s] { write_loop(s); });
}

StripePipeline::~StripePipeline() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (!error_) error_ = std::make_exception_ptr(Error(ErrorKind::kInterrupted, "pack abandoned"));
  }
  wake_everyone();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void StripePipeline::wake_everyone() {
  slot_freed_.notify_all();
  submitted_.notify_all();
  queued_.notify_all();
  encoded_.notify_all();
}

void StripePipeline::fail(std::exception_ptr error) {
  {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = error;
  }
  wake_everyone();
}

void StripePipeline::rethrow_if_failed() {
  if (error_) std::rethrow_exception(error_);
}

StripePipeline::Slot& StripePipeline::acquire() {
  Slot& slot = ring_[next_stripe_ % ring_.size()];
  std::unique_lock lock(mutex_);
  slot_freed_.wait(lock, [&] { return error_ || slot.state == Slot::kFree; });
  rethrow_if_failed();
  slot.state = Slot::kFilling;
  slot.stripe = next_stripe_;
  return slot;
}

uint8_t* StripePipeline::unit(uint32_t j) {
  if (!filling_) filling_ = &acquire();
  return filling_->buffer.get() + j * record_size_ + format::kBlockHeaderSize +
         codec::kNonceSize;
}

void StripePipeline::submit() {
  if (!filling_) filling_ = &acquire();
  {
    std::lock_guard lock(mutex_);
    rethrow_if_failed();
    if (config_.before_seal) {
      filling_->state = Slot::kSubmitted;
    } else {
      filling_->state = Slot::kQueued;
      encode_queue_.push_back(next_stripe_);
      queued_end_ = next_stripe_ + 1;
    }
  }
  (config_.before_seal ? submitted_ : queued_).notify_one();
  filling_ = nullptr;
  ++next_stripe_;
}

void StripePipeline::sync() {
  if (filling_) throw Error(ErrorKind::kInvalidArgument, "sync() in the middle of a stripe");
  {
    std::unique_lock lock(mutex_);
    slot_freed_.wait(lock, [&] {
      if (error_) return true;
      for (const Slot& slot : ring_) {
        if (slot.state != Slot::kFree) return false;
      }
      return true;
    });
    rethrow_if_failed();
  }
  if (next_stripe_ == synced_stripe_) return;
  const format::Layout& layout = config_.layout;
  // fsync through a second descriptor flushes the same inode the writer wrote.
  for (uint64_t seg = layout.segment_of(synced_stripe_); seg <= layout.segment_of(next_stripe_ - 1); ++seg) {
    for (const std::string& folder : config_.folders) {
      auto f = config_.env->open(format::segment_path(folder, seg));
      f->sync();
      f->close();
    }
  }
  synced_stripe_ = next_stripe_;
}

void StripePipeline::finish() {
  {
    std::lock_guard lock(mutex_);
    end_stripe_ = next_stripe_;
  }
  wake_everyone();
  for (auto& t : threads_) t.join();
  threads_.clear();
  std::lock_guard lock(mutex_);
  rethrow_if_failed();
}

StripePipeline::Turn StripePipeline::wait_turn(uint64_t stripe, Slot::State state,
                                               std::condition_variable& cv) {
  const Slot& slot = ring_[stripe % ring_.size()];
  std::unique_lock lock(mutex_);
  cv.wait(lock, [&] {
    return error_ || stopping_ || stripe >= end_stripe_ || (slot.state == state && slot.stripe == stripe);
  });
  if (error_ || stopping_) return Turn::kStop;
  if (slot.state == state && slot.stripe == stripe) return Turn::kGo;
  return Turn::kEnd;
}

void StripePipeline::before_seal_loop() {
  util::name_this_thread("ferry-hash");
  try {
    for (uint64_t stripe = config_.first_stripe;; ++stripe) {
      if (wait_turn(stripe, Slot::kSubmitted, submitted_) != Turn::kGo) return;
      Slot& slot = ring_[stripe % ring_.size()];
      config_.before_seal(stripe);
      bool last;
      {
        std::lock_guard lock(mutex_);
        slot.state = Slot::kQueued;
        encode_queue_.push_back(stripe);
        queued_end_ = stripe + 1;
        last = queued_end_ >= end_stripe_;
      }
      // After the last stripe every encoder must wake, to find the queue drained and end.
      if (last) queued_.notify_all(); else queued_.notify_one();
    }
  } catch (...) {
    fail(std::current_exception());
  }
}

void StripePipeline::encode_loop() {
  util::name_this_thread("ferry-seal");
  try {
    codec::AesGcm aead(config_.block_key);
    codec::ReedSolomon rs(static_cast<int>(config_.layout.k), static_cast<int>(config_.layout.m));
    const format::StripeFormat stripe_format(config_.shipment, config_.layout);
    for (;;) {
      uint64_t stripe;
      {
        std::unique_lock lock(mutex_);
        queued_.wait(lock, [&] {
          return error_ || stopping_ || encode_head_ < encode_queue_.size() ||
                 queued_end_ >= end_stripe_;
        });
        if (error_ || stopping_) return;
        if (encode_head_ == encode_queue_.size()) return;  // finished and drained
        stripe = encode_queue_[encode_head_++];
        if (encode_head_ == encode_queue_.size()) {
          encode_queue_.clear();
          encode_head_ = 0;
        }
      }
      Slot& slot = ring_[stripe % ring_.size()];
      const format::Layout& layout = config_.layout;
      for (uint32_t j = 0; j < layout.k; ++j) {
        uint8_t* payload = slot.buffer.get() + j * record_size_ + format::kBlockHeaderSize;
        stripe_format.seal_unit(aead, config_.attempt, stripe, j, payload);
      }
      std::vector<const uint8_t*> data(layout.k);
      std::vector<uint8_t*> parity(layout.m);
      for (uint32_t i = 0; i < layout.n(); ++i) {
        uint8_t* payload = slot.buffer.get() + i * record_size_ + format::kBlockHeaderSize;
        if (i < layout.k) data[i] = payload; else parity[i - layout.k] = payload;
      }
      rs.encode(layout.block_size, data.data(), parity.data());
      for (uint32_t i = 0; i < layout.n(); ++i) {
        stripe_format.make_header(stripe, i, slot.buffer.get() + i * record_size_);
      }
      {
        std::lock_guard lock(mutex_);
        slot.state = Slot::kEncoded;
        slot.writers_left = layout.n();
      }
      encoded_.notify_all();  // every writer has a block of it
    }
  } catch (...) {
    fail(std::current_exception());
  }
}

void StripePipeline::write_loop(uint32_t slot_index) {
  util::name_this_thread("ferry-write");
  const format::Layout& layout = config_.layout;
  const std::string& folder = config_.folders[slot_index];
  std::unique_ptr<io::WritableFile> file;
  uint64_t open_segment = UINT64_MAX;
  try {
    for (uint64_t stripe = config_.first_stripe;; ++stripe) {
      const Turn turn = wait_turn(stripe, Slot::kEncoded, encoded_);
      if (turn == Turn::kStop) return;
      if (turn == Turn::kEnd) break;
      Slot& slot = ring_[stripe % ring_.size()];
      uint64_t segment = layout.segment_of(stripe);
      if (segment != open_segment) {
        if (file) {
          file->sync();
          file->close();
        }
        file = config_.env->open(format::segment_path(folder, segment));
        open_segment = segment;
      }
      uint32_t member = layout.member_of(stripe, slot_index);
      file->pwrite(slot.buffer.get() + member * record_size_, record_size_,
                  layout.offset_in_segment(stripe));
      bool last = false;
      {
        std::lock_guard lock(mutex_);
        last = --slot.writers_left == 0;
        if (last) slot.state = Slot::kFree;
      }
      if (last) slot_freed_.notify_all();
    }
    if (file) {
      file->sync();
      file->close();
    }
  } catch (const Error& e) {
    fail(std::make_exception_ptr(
        Error(e.kind(), std::string("drive slot ") + std::to_string(slot_index) + " (" + folder +
                            "): " + e.what())));
  } catch (...) {
    fail(std::current_exception());
  }
}

}  // namespace ferry::pack

#include "read/whole_file_writer.h"

#include <stdexcept>

#include "codec/sha256.h"
#include "codec/zstd.h"
#include "ferry/error.h"
#include "format/constants.h"
#include "io/file.h"
#include "read/restored_file.h"
#include "util/dir_chain.h"
#include "util/display.h"
#include "util/threads.h"

namespace ferry::read {

struct WholeFileWriter::Worker {
  explicit Worker(const std::string& target) : target(target) {}
  util::DirChain target;
  codec::ZstdDecompressor zstd;
  util::ByteBuffer frame;  // one decompressed frame; sized at the first compressed file
};

WholeFileWriter::WholeFileWriter(const std::string& target, int threads, Report report)
    : target_(target), report_(std::move(report)) {
  for (size_t size = 0; size < kSizes; ++size) {
    for (size_t i = 0; i < kBufferSizes[size].buffers; ++i) {
      auto& slot = slots_.emplace_back(std::make_unique<Slot>());
      slot->buffer_size = size;
      slot->stored.reserve(kBufferSizes[size].largest_file);  // address space only, until used
      free_[size].push_back(slot.get());
    }
  }
  for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { work(); });
}

WholeFileWriter::~WholeFileWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  queued_.notify_all();
  for (std::thread& t : threads_) t.join();
}

util::ByteBuffer& WholeFileWriter::prepare(const format::Entry& entry) {
  if (prepared_) throw std::logic_error("WholeFileWriter::prepare() twice without submit()");
  size_t size = 0;
  while (entry.stored > kBufferSizes[size].largest_file) {
    if (++size == kSizes) throw std::logic_error("WholeFileWriter::prepare() of a file too large");
  }
  // Free buffers come back as the oldest files are reported: wait for those.
  std::unique_lock lock(mutex_);
  while (free_[size].empty()) report_oldest(lock);
  lock.unlock();
  prepared_ = free_[size].back();
  free_[size].pop_back();
  prepared_->entry = entry;
  prepared_->stored.resize(entry.stored);
  return prepared_->stored;
}

void WholeFileWriter::submit(Gathered gathered) {
  if (!prepared_) throw std::logic_error("WholeFileWriter::submit() without prepare()");
  Slot* slot = std::exchange(prepared_, nullptr);
  slot->gathered = gathered;
  slot->done = false;
  slot->written = false;
  slot->error = nullptr;
  submitted_.push_back(slot);
  bool wake;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(slot);
    wake = idle_ > 0;  // busy workers take the next file without being woken
  }
  if (wake) queued_.notify_one();
}

void WholeFileWriter::report(bool wait_for_all) {
  if (submitted_.empty()) return;  // the usual case for files the pool does not take
  std::unique_lock lock(mutex_);
  while (!submitted_.empty() && (wait_for_all || submitted_.front()->done)) report_oldest(lock);
}

void WholeFileWriter::report_oldest(std::unique_lock<std::mutex>& lock) {
  if (submitted_.empty()) throw std::logic_error("WholeFileWriter: no file in flight to wait for");
  Slot& slot = *submitted_.front();
  finished_.wait(lock, [&] { return slot.done; });
  submitted_.pop_front();
  free_[slot.buffer_size].push_back(&slot);
  lock.unlock();  // an exception leaves it unlocked, which the caller's lock knows
  if (slot.error) std::rethrow_exception(slot.error);
  report_(slot.entry, slot.written);
  lock.lock();
}

void WholeFileWriter::work() {
  util::name_this_thread("ferry-writefile");
  Worker worker(target_);
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    --idle_;
    if (stopping_) return;
    Slot* slot = queue_.front();
    queue_.pop_front();
    lock.unlock();
    try {
      write(worker, *slot);
    } catch (...) {
      slot->error = std::current_exception();
    }
    lock.lock();
    slot->done = true;
    // Only the oldest file is waited for, and only by the caller; a notify without a
    // waiter is cheap.
    finished_.notify_one();
  }
}

void WholeFileWriter::write(Worker& worker, Slot& slot) const {
  const format::Entry& e = slot.entry;
  const bool raw = e.encoding == format::Encoding::kRaw;
  if (slot.gathered == Gathered::kLost) return;
  if (raw && slot.gathered == Gathered::kToCheck &&
      (slot.stored.size() != e.size ||
       codec::sha256(slot.stored.data(), slot.stored.size()) != e.sha256)) {
    return;
  }
  std::string leaf;
  const int dirfd = worker.target.parent_of(e.path, &leaf, true);
  RestoredFile file(dirfd, e, io::join(target_, util::shown(e.path)));
  bool intact = true;
  if (raw) {
    file.write(slot.stored.data(), slot.stored.size());
  } else {
    // Frame by frame: decompress, hash, write; the digest is checked before the rename.
    worker.frame.resize(format::kCompressionFrameSize);
    codec::Sha256 sha;
    uint64_t produced = 0;
    size_t at = 0;
    for (uint32_t frame : e.frames) {
      if (frame > slot.stored.size() - at) {
        intact = false;
        break;
      }
      size_t n;
      try {
        n = worker.zstd.decompress(slot.stored.data() + at, frame, worker.frame.data(),
                                   worker.frame.size());
      } catch (const Error&) {
        intact = false;  // a frame that does not decompress
        break;
      }
      sha.update(worker.frame.data(), n);
      file.write(worker.frame.data(), n);
      produced += n;
      at += frame;
    }
    intact = intact && at == slot.stored.size() && produced == e.size && sha.finish() == e.sha256;
  }
  if (!intact) return;  // the temporary file goes with `file`
  file.publish(leaf);
  slot.written = true;
}

}  // namespace ferry::read

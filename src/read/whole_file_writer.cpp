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
  // Free buffers come back as the oldest files are reported: wait for those, which
  // sleeping workers must be woken for, as no later file will.
  if (free_[size].empty()) {
    std::unique_lock lock(mutex_);
    wake_workers();
    while (free_[size].empty()) report_some(lock);
  }
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
  const bool small = slot->entry.stored < kSmallStored;
  bool wake;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(slot);
    // Busy workers take the next file without being woken; a sleeping one is worth
    // waking for a larger file, or for several small ones.
    wake = idle_ > 0 && (!small || queue_.size() >= kBatch);
  }
  if (wake) queued_.notify_one();
}

void WholeFileWriter::start_queued() {
  std::lock_guard lock(mutex_);
  wake_workers();
}

void WholeFileWriter::wake_workers() {
  if (idle_ > 0 && !queue_.empty()) queued_.notify_all();
}

void WholeFileWriter::report_finished() {
  // The usual case costs no lock: nothing submitted, or the oldest still being written.
  if (submitted_.empty() || !submitted_.front()->done.load(std::memory_order_acquire)) return;
  std::unique_lock lock(mutex_);
  report_done(lock);
}

void WholeFileWriter::finish() {
  if (submitted_.empty()) return;
  std::unique_lock lock(mutex_);
  wake_workers();
  while (!submitted_.empty()) report_some(lock);
}

void WholeFileWriter::report_some(std::unique_lock<std::mutex>& lock) {
  if (submitted_.empty()) throw std::logic_error("WholeFileWriter: no file in flight to wait for");
  // Files finish about in the order they were queued: waiting for the one a few places
  // back mostly finds the ones before it done too, for one wakeup.
  Slot* awaited = submitted_[std::min(submitted_.size(), kBatch) - 1];
  if (awaited->done) awaited = submitted_.front();
  awaited_ = awaited;
  finished_.wait(lock, [&] { return awaited->done.load(); });
  awaited_ = nullptr;
  report_done(lock);
}

void WholeFileWriter::report_done(std::unique_lock<std::mutex>& lock) {
  while (!submitted_.empty() && submitted_.front()->done) {
    Slot& slot = *submitted_.front();
    submitted_.pop_front();
    free_[slot.buffer_size].push_back(&slot);
    lock.unlock();  // an exception leaves it unlocked, which the caller's lock knows
    if (slot.error) std::rethrow_exception(slot.error);
    report_(slot.entry, slot.written);
    lock.lock();
  }
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
    slot->done.store(true, std::memory_order_release);
    // The caller waits for one file at a time, and only it: no wakeup for the others.
    if (slot == awaited_) finished_.notify_one();
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

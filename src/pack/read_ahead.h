// Small files, read ahead on a pool of threads. A worker opens a file, reads it whole
// into memory, hashes it and compresses it when that pays, all on its own core; the
// stream then only copies the result in, in catalog order. Many small files, and the
// SHA-256 and zstd of medium ones, so use every core instead of the one thread that
// fills the stream. Files above kMaxFileSize are streamed by FilePacker instead.
//
// Memory is a fixed set of buffers reused from file to file: many small ones, so that
// enough small files are in flight for the workers to rarely wait, and a few large
// ones. Reuse also spares the page fault of every fresh page.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "format/catalog.h"
#include "util/no_init_allocator.h"

namespace ferry::pack {

struct ReadyFile {
  enum Outcome { kPacked, kUnreadable, kChanged, kTooLarge } outcome = kPacked;
  std::string reason;           // for kUnreadable and kChanged
  format::Entry entry;          // kPacked: size, mode, mtime, sha256, encoding, frames set
  util::ByteBuffer stored;  // kPacked: the bytes that go into the stream
};

class ReadAhead {
 public:
  // Files the walk found no larger than this are read ahead.
  static constexpr uint64_t kMaxFileSize = 16u << 20;
  // Files up to this size use a small buffer.
  static constexpr uint64_t kSmallFileSize = 256u << 10;
  static constexpr size_t kSmallBuffers = 64;
  static constexpr size_t kLargeBuffers = 6;

  ReadAhead(const std::string& source, bool compress, int threads);
  ~ReadAhead();  // abandons the files still queued
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  static bool wanted(const format::Entry& e) {
    return e.kind == format::EntryKind::kFile && e.size <= kMaxFileSize;
  }
  // The entries coming next, in stream order; the wanted() ones are read ahead as
  // buffers allow. `batch` must stay in place until the next plan().
  void plan(const std::vector<format::Entry>& batch);
  // The next wanted file of the plan, once it is read; valid until the next call.
  // When no worker has started it yet, the caller reads it itself instead of waiting.
  // kTooLarge: it grew past its buffer since the walk; stream it instead. Throws
  // what a worker could not handle.
  const ReadyFile& take();

  struct Worker;  // a reading thread's own handles and buffers (read_ahead.cpp)

 private:
  struct Job {
    ReadyFile file;
    bool done = false;
  };
  void work();
  std::vector<util::ByteBuffer>& spares_for(uint64_t size) {
    return size <= kSmallFileSize ? small_spares_ : large_spares_;
  }
  // Queues files of the plan while buffers are free; returns whether a worker should
  // be woken. Caller holds mutex_.
  bool top_up();

  const std::string source_;
  const bool compress_;
  mutable std::mutex mutex_;
  std::condition_variable queued_;    // workers wait here for a file to read
  std::condition_variable finished_;  // take() waits here for the oldest file
  std::deque<Job> jobs_;  // in stream order
  size_t next_job_ = 0;   // index in jobs_ of the first not yet started
  std::vector<util::ByteBuffer> small_spares_, large_spares_;  // buffers not in use
  const std::vector<format::Entry>* plan_ = nullptr;
  size_t planned_ = 0;  // plan_[planned_] is the next entry to consider for queueing
  ReadyFile taken_;     // what take() returned last; its buffer goes back on the next call
  bool stopping_ = false;
  std::exception_ptr error_;
  std::unique_ptr<Worker> taker_;  // for the files take() reads itself
  std::vector<std::thread> threads_;
};

}  // namespace ferry::pack

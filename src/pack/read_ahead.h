// Small files, read ahead on a pool of threads. A worker opens a file, reads it whole
// into memory, hashes it and compresses it when that pays, all on its own core; the
// stream then only copies the result in, in catalog order. Many small files, and the
// SHA-256 and zstd of medium ones, so use every core instead of the one thread that
// fills the stream. Files above kMaxFileSize are streamed by FilePacker instead.
//
// Memory is a fixed set of buffers reused from file to file, in three sizes: very many
// tiny ones, so that the workers stay far enough ahead of the stream that they never
// run dry while it catches up (with fewer, they slept and the stream's thread read
// files itself), fewer small ones and a few large ones. Reuse also spares the page
// fault of every fresh page.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <iterator>
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
  // The buffers: a file takes one of the first size that holds it. At most about
  // 16 + 16 + 96 MiB are ever touched.
  struct BufferSize {
    uint64_t largest_file;
    size_t buffers;
  };
  static constexpr BufferSize kBufferSizes[] = {
      {16u << 10, 1024}, {256u << 10, 64}, {kMaxFileSize, 6}};

  ReadAhead(const std::string& source, bool compress, int threads);
  ~ReadAhead();  // abandons the files still queued
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  static bool wanted(const format::Entry& e) {
    return e.kind == format::EntryKind::kFile && e.size <= kMaxFileSize;
  }
  // Adds the entries coming next, in stream order, after those planned before; the
  // wanted() ones are read ahead as buffers allow. `batch` must stay in place until
  // its last wanted file has been taken. Planning the next batch before the current
  // one is taken keeps the workers busy across the boundary.
  void plan(const std::vector<format::Entry>& batch);
  // The next wanted file of the plan, once it is read; valid until the next call.
  // When no worker has started it yet, the caller reads it itself instead of waiting.
  // kTooLarge: it grew past its buffer since the walk; stream it instead. Throws
  // what a worker could not handle.
  const ReadyFile& take();

  struct Worker;  // a reading thread's own handles and buffers (read_ahead.cpp)

 private:
  static constexpr size_t kSizes = std::size(kBufferSizes);
  struct Job {
    ReadyFile file;
    size_t buffer_size;  // index in kBufferSizes of its buffer
    bool done = false;
  };
  void work();
  static size_t buffer_size_for(uint64_t file_size);
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
  std::vector<util::ByteBuffer> spares_[kSizes];  // buffers not in use, by size
  std::deque<const std::vector<format::Entry>*> plans_;  // batches not yet all queued
  size_t planned_ = 0;  // (*plans_.front())[planned_] is the next entry to consider
  ReadyFile taken_;     // what take() returned last; its buffer goes back on the next call
  size_t taken_size_ = 0;  // index in kBufferSizes of taken_'s buffer
  bool stopping_ = false;
  std::exception_ptr error_;
  std::unique_ptr<Worker> taker_;  // for the files take() reads itself
  std::vector<std::thread> threads_;
};

}  // namespace ferry::pack

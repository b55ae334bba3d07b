// Small files, read ahead on a pool of threads. A worker opens a file, reads it whole
// into memory, hashes it and compresses it when that pays, all on its own core; the
// stream then only copies the result in, in catalog order. Many small files, and the
// SHA-256 and zstd of medium ones, so use every core instead of the one thread that
// fills the stream. Files above kMaxFileSize are streamed by FilePacker instead. A
// fixed set of buffers, each reused from file to file, bounds memory however many
// files there are (and spares the page faults of fresh memory).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "format/catalog.h"

namespace ferry::pack {

struct ReadyFile {
  enum Outcome { kPacked, kUnreadable, kChanged, kTooLarge } outcome = kPacked;
  std::string reason;           // for kUnreadable and kChanged
  format::Entry entry;          // kPacked: size, mode, mtime, sha256, encoding, frames set
  std::vector<uint8_t> stored;  // kPacked: the bytes that go into the stream
};

class ReadAhead {
 public:
  // Files the walk found no larger than this are read ahead.
  static constexpr uint64_t kMaxFileSize = 16u << 20;
  // Files read ahead at most at once, each in a buffer of its own.
  static constexpr size_t kBuffers = 8;

  ReadAhead(const std::string& source, bool compress, int threads);
  ~ReadAhead();  // abandons the files still queued
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  static bool wanted(const format::Entry& e) {
    return e.kind == format::EntryKind::kFile && e.size <= kMaxFileSize;
  }
  // Whether add() may queue another file: a buffer is free.
  bool has_room() const;
  // Queues a file, in stream order.
  void add(const format::Entry& entry);
  // Hands a taken file's buffer back for the next file.
  void recycle(std::vector<uint8_t> buffer);
  // The oldest queued file, once it is read (blocks). kTooLarge: it grew past
  // kMaxFileSize since the walk; stream it instead. Throws what a worker could not handle.
  ReadyFile take();

 private:
  struct Job {
    ReadyFile file;
    bool done = false;
  };
  void work();

  const std::string source_;
  const bool compress_;
  mutable std::mutex mutex_;
  std::condition_variable queued_;    // workers wait here for a file to read
  std::condition_variable finished_;  // take() waits here for the oldest file
  std::deque<Job> jobs_;  // in stream order; jobs_[i] is sequence taken_ + i
  size_t next_job_ = 0;   // index in jobs_ of the first not yet started
  std::vector<std::vector<uint8_t>> spares_;  // buffers not in use
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

}  // namespace ferry::pack

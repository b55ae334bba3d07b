// Compresses the frames of one large file on a pool of threads and hands them back in
// the order they were given. zstd -1 runs at about 280 MB/s a core, a fraction of what
// the rest of pack does with a byte: without this, a large compressible file (a CSV or
// JSON shard over 16 MiB) would hold the whole pack to one core while the reader waits.
// The caller reads and hashes each frame in order; only compression runs in parallel.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace ferry::pack {

class FrameCompressor {
 public:
  explicit FrameCompressor(int threads);
  ~FrameCompressor();
  FrameCompressor(const FrameCompressor&) = delete;
  FrameCompressor& operator=(const FrameCompressor&) = delete;

  // Whether a buffer is free for another frame; when not, take() the oldest first.
  bool has_room() const { return in_flight_ < slots_.size(); }
  // The buffer for the next frame (format::kCompressionFrameSize bytes); needs room.
  uint8_t* next_input();
  // Queues the frame just written into next_input()'s buffer, `len` bytes of it.
  void submit(size_t len);
  size_t in_flight() const { return in_flight_; }
  // The oldest frame submitted and not yet taken, compressed: valid until the next
  // call. Waits for it; rethrows the error of a worker that failed.
  std::pair<const uint8_t*, size_t> take();
  // Waits for the frames in flight and forgets them (an attempt given up half-way).
  void clear();

 private:
  struct Slot {
    std::vector<uint8_t> input, output;
    size_t input_len = 0, output_len = 0;
    bool done = false;
  };
  void work();

  std::vector<Slot> slots_;
  size_t oldest_ = 0;     // the slot take() returns next
  size_t in_flight_ = 0;  // submitted and not yet taken (caller's thread only)

  std::mutex mutex_;
  std::condition_variable queued_, finished_;
  std::deque<size_t> queue_;  // slots waiting for a worker, oldest first
  size_t busy_ = 0;           // slots a worker is compressing
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

}  // namespace ferry::pack

// Compresses or decompresses a file's zstd frames on a pool of threads and hands them
// back in the order they were given. zstd -1 runs at about 280 MB/s a core and its
// decompression at about 1 GB/s, a fraction of what the rest of pack or restore does
// with a byte: without a pool, one large compressible file (a CSV or JSON shard) holds
// the whole run to one core. The caller reads, hashes and writes in order; only the
// zstd work runs in parallel.
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

#include "util/no_init_allocator.h"

namespace ferry::codec {

class ZstdFramePool {
 public:
  enum class Direction { kCompress, kDecompress };
  // `frame_size`: the most plaintext bytes a frame holds.
  ZstdFramePool(Direction direction, size_t frame_size, int threads);
  ~ZstdFramePool();
  ZstdFramePool(const ZstdFramePool&) = delete;
  ZstdFramePool& operator=(const ZstdFramePool&) = delete;

  // Room for one frame more, compressed or not; when there is none, take() the oldest.
  bool has_room() const { return in_flight_ < slots_.size(); }
  // The buffer for the next frame's input (input_capacity() bytes); needs room.
  uint8_t* next_input();
  size_t input_capacity() const;
  // Queues the frame just written into next_input()'s buffer, `len` bytes of it.
  void submit(size_t len);
  size_t in_flight() const { return in_flight_; }
  // The oldest frame submitted and not yet taken, transformed: valid until the next
  // call. Waits for it; throws what zstd threw for it (kCorruption for a frame that
  // does not decompress), after which the next take() gives the frame after it.
  std::pair<const uint8_t*, size_t> take();
  // Waits for the frames in flight and forgets them (a file given up half-way).
  void clear();

 private:
  struct Slot {
    util::ByteBuffer input, output;  // not zero-filled: untouched until a frame comes
    size_t input_len = 0, output_len = 0;
    std::exception_ptr error;
    bool done = false;
  };
  void work();

  const Direction direction_;
  std::vector<Slot> slots_;
  size_t oldest_ = 0;     // the slot take() returns next
  size_t in_flight_ = 0;  // submitted and not yet taken (caller's thread only)

  std::mutex mutex_;
  std::condition_variable queued_, finished_;
  std::deque<size_t> queue_;  // slots waiting for a worker, oldest first
  size_t busy_ = 0;           // slots a worker is working on
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ferry::codec

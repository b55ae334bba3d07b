// Reads the files an export will write, in the order it writes them, on a thread of its
// own and ahead of the writer, so that reading off the drives (decrypting, rebuilding,
// checking each file's SHA-256) and writing the shards (hashing, compressing, writing)
// run on two cores at once. At most `max_bytes` of buffers are read and not yet taken.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "ferry/error.h"
#include "ferry/shipment.h"
#include "util/no_init_allocator.h"

namespace ferry::exporting {

class FilePrefetcher {
 public:
  using Buffer = std::vector<char, util::NoInitAllocator<char>>;
  struct Chunk {
    Buffer data;
    bool last = false;           // the file's final chunk (a file has at least one)
    std::optional<Error> error;  // the file could not be read (then also last)
  };

  // `files` must outlive the prefetcher.
  FilePrefetcher(const Shipment& shipment, std::vector<const ShipmentEntry*> files,
                 size_t chunk_bytes, size_t max_bytes);
  ~FilePrefetcher();  // stops reading and waits for the thread
  FilePrefetcher(const FilePrefetcher&) = delete;
  FilePrefetcher& operator=(const FilePrefetcher&) = delete;

  // The next chunk, files in the order given; blocks until it is read. Throws (rather
  // than wait for ever) when asked for more than the files given hold.
  Chunk next();
  // Gives a chunk's buffer back for reuse (fresh multi-MiB buffers cost page faults).
  void recycle(Buffer buffer);

 private:
  void run();
  void push(Chunk chunk);

  const Shipment& shipment_;
  std::vector<const ShipmentEntry*> files_;
  size_t chunk_bytes_, max_bytes_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Chunk> queue_;
  std::vector<Buffer> free_;
  size_t queued_bytes_ = 0;
  bool cancel_ = false;
  bool finished_ = false;  // every file read
  std::thread thread_;
};

}  // namespace ferry::exporting

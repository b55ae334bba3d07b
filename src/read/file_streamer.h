// Streams one file's bytes back out of the data stream: raw or zstd frames, hashed
// as they go, and checked against the catalog's size and SHA-256 at the end. Used by
// restore (which writes them) and by verify (which only checks them).
#pragma once

#include <functional>
#include <memory>

#include "codec/zstd_frame_pool.h"
#include "format/catalog.h"
#include "read/stream_cursor.h"
#include "util/no_init_allocator.h"

namespace ferry::read {

// What FileStreamer::gather() found: bytes lost, or all there and either already
// checked against the catalog's size and SHA-256 (raw files, whose digest the stripes
// carry) or still to be checked by whoever uses them.
enum class Gathered { kLost, kChecked, kToCheck };

class FileStreamer {
 public:
  using Sink = std::function<void(const uint8_t*, size_t)>;
  // The cursor's source must run a StreamFileHasher's stages: raw files are checked
  // against the digests it records, compressed ones are hashed here, their frames
  // decompressed on a pool of `threads`.
  FileStreamer(StreamCursor& cursor, int threads);

  // Hands the file's bytes to `sink` in order while every byte is recovered; returns
  // true only when all were and size and SHA-256 match the catalog. The cursor always
  // ends past the file.
  bool stream(const format::Entry& entry, const Sink& sink);
  // Copies the file's stored bytes (raw, or its zstd frames as they are stored) into
  // `stored`, sized to them; the cursor ends past the file.
  Gathered gather(const format::Entry& entry, util::ByteBuffer& stored);
  // Moves past the file without using its bytes.
  void skip(const format::Entry& entry);

 private:
  void skip_to(uint64_t pos, uint64_t end);
  StreamCursor& cursor_;
  int threads_;
  std::unique_ptr<codec::ZstdFramePool> pool_;  // started with the first compressed file
};

}  // namespace ferry::read

// Reads one source file into the data stream: each byte read once, compressed in
// independent frames only when a sample shows it pays. Bytes stored as they are go
// straight into the stripe buffer and are hashed there by the StreamHasher, off this
// thread; compressed files are hashed here, frame by frame, and their frames compressed
// on a pool of `threads`.
// A file that changes while being read is read again once; if it changes again it is
// reported, never packed torn. Each attempt given up is handed to `give_back`, which
// takes the stream back to where it began (StreamWriter::mark), so no dead bytes stay.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "codec/sha256.h"
#include "codec/zstd.h"
#include "codec/zstd_frame_pool.h"
#include "ferry/progress.h"
#include "format/catalog.h"
#include "pack/stream_hasher.h"
#include "pack/stream_writer.h"
#include "util/dir_chain.h"

namespace ferry::pack {

enum class FileOutcome {
  kPacked,         // every field of the entry is filled in
  kPackedHashing,  // likewise, but its sha256 comes from the StreamHasher under entry.id
  kUnreadable,
  kChanged,
};

class FilePacker {
 public:
  FilePacker(StreamWriter& stream, StreamHasher& hasher, util::DirChain& source,
             Progress& progress, bool compress, int threads, std::function<void()> give_back);

  // Packs entry.path; when packed fills size, mtime, mode, sha256 (unless the hasher
  // delivers it), offset, stored, encoding and frames of `entry`. Otherwise says why in
  // `reason`. Throws only for failures of the drives or the pipeline.
  FileOutcome pack(format::Entry& entry, std::string* reason);

 private:
  enum class Attempt { kDone, kDoneHashing, kUnreadable, kChanged };
  Attempt read_once(format::Entry& entry, std::string* reason);

  StreamWriter& stream_;
  StreamHasher& hasher_;
  util::DirChain& source_;
  Progress& progress_;
  bool compress_;
  int threads_;
  std::function<void()> give_back_;
  codec::Sha256 sha_;
  codec::ZstdCompressor zstd_;  // the trial on a sample
  std::vector<uint8_t> frame_, packed_;
  std::unique_ptr<codec::ZstdFramePool> frames_;  // started with the first compressed file
};

}  // namespace ferry::pack

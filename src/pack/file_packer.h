// Reads one source file into the data stream: each byte read once, hashed while it is
// in cache, compressed in independent frames only when a sample shows it pays.
// A file that changes while being read is read again once; if it changes again it is
// reported, never packed torn.
#pragma once

#include <string>
#include <vector>

#include "codec/sha256.h"
#include "codec/zstd.h"
#include "ferry/progress.h"
#include "format/catalog.h"
#include "pack/stream_writer.h"
#include "util/dir_chain.h"

namespace ferry::pack {

enum class FileOutcome { kPacked, kUnreadable, kChanged };

class FilePacker {
 public:
  FilePacker(StreamWriter& stream, util::DirChain& source, Progress& progress, bool compress);

  // Packs entry.path; on kPacked fills size, mtime, mode, sha256, offset, stored,
  // encoding and frames of `entry`. Otherwise says why in `reason`. Throws only for
  // failures of the drives or the pipeline.
  FileOutcome pack(format::Entry& entry, std::string* reason);

 private:
  enum class Attempt { kDone, kUnreadable, kChanged };
  Attempt read_once(format::Entry& entry, std::string* reason);
  bool should_compress(int fd, uint64_t size, size_t* sample_len);

  StreamWriter& stream_;
  util::DirChain& source_;
  Progress& progress_;
  bool compress_;
  codec::Sha256 sha_;
  codec::ZstdCompressor zstd_;
  std::vector<uint8_t> frame_, packed_;
};

}  // namespace ferry::pack

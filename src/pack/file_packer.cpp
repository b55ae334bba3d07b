#include "pack/file_packer.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "format/constants.h"
#include "pack/source_file.h"

namespace ferry::pack {
namespace {

// The hasher's ticket for bytes of an attempt that is not kept.
constexpr int64_t kDiscardedTicket = -1;

// Bytes read between two looks at whether the file changed, so that a change is caught
// within this much, not at the end of a file of gigabytes. One fstat each; 16 MiB take
// about 10 ms to read.
constexpr uint64_t kChangeCheckBytes = 16u << 20;

}  // namespace

FilePacker::FilePacker(StreamWriter& stream, StreamHasher& hasher, util::DirChain& source,
                       Progress& progress, bool compress, int threads,
                       std::function<void()> give_back)
    : stream_(stream),
      hasher_(hasher),
      source_(source),
      progress_(progress),
      compress_(compress),
      threads_(threads),
      give_back_(std::move(give_back)),
      frame_(format::kCompressionFrameSize),
      packed_(codec::zstd_bound(format::kCompressionFrameSize)) {}

FileOutcome FilePacker::pack(format::Entry& entry, std::string* reason) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    switch (read_once(entry, reason)) {
      case Attempt::kDone:
        return FileOutcome::kPacked;
      case Attempt::kDoneHashing:
        return FileOutcome::kPackedHashing;
      case Attempt::kUnreadable:
        give_back_();  // what was read before the error: the stream goes back over it
        return FileOutcome::kUnreadable;
      case Attempt::kChanged:
        give_back_();  // likewise, then read it again
        break;
    }
  }
  *reason = "changed while being read, twice; left out";
  return FileOutcome::kChanged;
}

FilePacker::Attempt FilePacker::read_once(format::Entry& entry, std::string* reason) {
  stream_.mark();
  ReadFailure failure;
  SourceFile file(source_, entry.path, &failure, reason);
  if (failure == ReadFailure::kUnreadable) return Attempt::kUnreadable;
  if (failure == ReadFailure::kChanged) return Attempt::kChanged;
  const int fd = file.fd();
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  const uint64_t size = file.size();
  // Without compression a sparse file is still stored as zstd frames: its holes, read as
  // zeros, squeeze to almost nothing and restore makes them holes again.
  const bool compress =
      compress_ ? worth_compressing(fd, size, zstd_, frame_, packed_) : has_hole(fd, size);

  entry.offset = stream_.position();
  entry.frames.clear();
  uint64_t total = 0;
  bool failed = false;
  bool changed = false;
  uint64_t next_check = kChangeCheckBytes;
  auto changed_yet = [&] {
    if (total < next_check) return false;
    next_check = total + kChangeCheckBytes;
    changed = !file.unchanged();
    return changed;
  };
  if (compress) {
    // Read and hash frames in order here while the pool compresses those before them;
    // write each out in order once it is compressed. On an early end the frames in
    // flight are still written: like the rest of a given-up attempt, dead space.
    if (!frames_) {
      frames_ = std::make_unique<codec::ZstdFramePool>(codec::ZstdFramePool::Direction::kCompress,
                                                       format::kCompressionFrameSize, threads_);
    }
    frames_->clear();
    bool reading = true;
    while (reading || frames_->in_flight() > 0) {
      if (reading && frames_->has_room()) {
        uint8_t* frame = frames_->next_input();
        ssize_t n = read_full(fd, frame, format::kCompressionFrameSize);
        if (n <= 0) {
          failed = n < 0;
          reading = false;
          continue;
        }
        sha_.update(frame, static_cast<size_t>(n));
        frames_->submit(static_cast<size_t>(n));
        total += static_cast<uint64_t>(n);
        progress_.bytes_done += static_cast<uint64_t>(n);
        if (total > size || changed_yet()) reading = false;  // reported as changed below
        continue;
      }
      auto [packed, c] = frames_->take();
      stream_.write(packed, c);
      entry.frames.push_back(static_cast<uint32_t>(c));
    }
  } else {
    // Read straight into the stripe buffer; one byte past the size reveals growth.
    while (total <= size) {
      auto [dst, room] = stream_.room();
      size_t want = static_cast<size_t>(std::min<uint64_t>(room, size + 1 - total));
      ssize_t n = read_some(fd, dst, want);
      if (n < 0) { failed = true; break; }
      if (n == 0) break;
      hasher_.add(stream_.stripe(), dst, static_cast<size_t>(n));
      stream_.advance(static_cast<size_t>(n));
      total += static_cast<uint64_t>(n);
      progress_.bytes_done += static_cast<uint64_t>(n);
      if (changed_yet()) break;
    }
  }
  const int read_errno = errno;
  const bool kept = !failed && !changed && total == size && file.unchanged();
  codec::Digest digest{};
  if (compress) {
    digest = sha_.finish();
  } else {
    hasher_.end_file(kept ? entry.id : kDiscardedTicket);
  }
  if (failed) {
    *reason = std::string("read error: ") + std::strerror(read_errno);
    return Attempt::kUnreadable;
  }
  if (!kept) {
    *reason = "changed while being read";
    return Attempt::kChanged;
  }
  file.describe(entry);
  entry.sha256 = digest;
  entry.stored = stream_.position() - entry.offset;
  entry.encoding = compress ? format::Encoding::kZstdFrames : format::Encoding::kRaw;
  return compress ? Attempt::kDone : Attempt::kDoneHashing;
}

}  // namespace ferry::pack

#include "pack/file_packer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "format/constants.h"

namespace ferry::pack {
namespace {

constexpr uint64_t kMinCompressSize = 4096;
constexpr size_t kSampleSize = 64 * 1024;
// Compress only when the sample shrinks to this fraction or less: media files do not.
constexpr double kWorthwhileRatio = 0.9;

int64_t ns(const struct timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; }

bool same_version(const struct stat& a, const struct stat& b) {
  return a.st_size == b.st_size && ns(a.st_mtim) == ns(b.st_mtim) &&
         ns(a.st_ctim) == ns(b.st_ctim) && a.st_ino == b.st_ino;
}

// read() that retries EINTR and short reads; returns bytes read (0 at end) or -1.
ssize_t read_some(int fd, void* buf, size_t len) {
  for (;;) {
    ssize_t n = ::read(fd, buf, len);
    if (n >= 0 || errno != EINTR) return n;
  }
}

ssize_t read_full(int fd, void* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = read_some(fd, static_cast<char*>(buf) + done, len - done);
    if (n < 0) return -1;
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

}  // namespace

FilePacker::FilePacker(StreamWriter& stream, util::DirChain& source, Progress& progress,
                       bool compress)
    : stream_(stream),
      source_(source),
      progress_(progress),
      compress_(compress),
      frame_(format::kCompressionFrameSize),
      packed_(codec::zstd_bound(format::kCompressionFrameSize)) {}

FileOutcome FilePacker::pack(format::Entry& entry, std::string* reason) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    switch (read_once(entry, reason)) {
      case Attempt::kDone:
        return FileOutcome::kPacked;
      case Attempt::kUnreadable:
        return FileOutcome::kUnreadable;
      case Attempt::kChanged:
        break;  // the bytes already streamed stay as dead space; read it again
    }
  }
  *reason = "changed while being read, twice; left out";
  return FileOutcome::kChanged;
}

bool FilePacker::should_compress(int fd, uint64_t size, size_t* sample_len) {
  *sample_len = 0;
  if (!compress_ || size < kMinCompressSize) return false;
  ssize_t n = ::pread(fd, frame_.data(), std::min<uint64_t>(kSampleSize, size), 0);
  if (n <= 0) return false;
  size_t packed = zstd_.compress(frame_.data(), static_cast<size_t>(n), packed_.data(), packed_.size());
  return static_cast<double>(packed) <= kWorthwhileRatio * static_cast<double>(n);
}

FilePacker::Attempt FilePacker::read_once(format::Entry& entry, std::string* reason) {
  std::string leaf;
  int dirfd;
  try {
    dirfd = source_.parent_of(entry.path, &leaf, false);
  } catch (const std::exception& e) {
    *reason = e.what();
    return Attempt::kUnreadable;
  }
  int fd = ::openat(dirfd, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    *reason = std::string("cannot open: ") + std::strerror(errno);
    return Attempt::kUnreadable;
  }
  struct stat before;
  if (::fstat(fd, &before) != 0 || !S_ISREG(before.st_mode)) {
    ::close(fd);
    *reason = "no longer a regular file";
    return Attempt::kChanged;
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  const uint64_t size = static_cast<uint64_t>(before.st_size);
  size_t sample = 0;
  const bool compress = should_compress(fd, size, &sample);

  entry.offset = stream_.position();
  entry.frames.clear();
  uint64_t total = 0;
  bool failed = false;
  if (compress) {
    for (;;) {
      ssize_t n = read_full(fd, frame_.data(), frame_.size());
      if (n < 0) { failed = true; break; }
      if (n == 0) break;
      sha_.update(frame_.data(), static_cast<size_t>(n));
      size_t c = zstd_.compress(frame_.data(), static_cast<size_t>(n), packed_.data(), packed_.size());
      stream_.write(packed_.data(), c);
      entry.frames.push_back(static_cast<uint32_t>(c));
      total += static_cast<uint64_t>(n);
      progress_.bytes_done += static_cast<uint64_t>(n);
      if (total > size) break;  // growing: stop, it is reported as changed below
    }
  } else {
    // Read straight into the stripe buffer; one byte past the size reveals growth.
    while (total <= size) {
      auto [dst, room] = stream_.room();
      size_t want = static_cast<size_t>(std::min<uint64_t>(room, size + 1 - total));
      ssize_t n = read_some(fd, dst, want);
      if (n < 0) { failed = true; break; }
      if (n == 0) break;
      sha_.update(dst, static_cast<size_t>(n));
      stream_.advance(static_cast<size_t>(n));
      total += static_cast<uint64_t>(n);
      progress_.bytes_done += static_cast<uint64_t>(n);
    }
  }
  int read_errno = errno;
  struct stat after;
  bool stat_ok = ::fstat(fd, &after) == 0;
  ::close(fd);
  codec::Digest digest = sha_.finish();
  if (failed) {
    *reason = std::string("read error: ") + std::strerror(read_errno);
    return Attempt::kUnreadable;
  }
  if (!stat_ok || total != size || !same_version(before, after)) {
    *reason = "changed while being read";
    return Attempt::kChanged;
  }
  entry.size = size;
  entry.mode = before.st_mode & 07777;
  entry.mtime_ns = ns(before.st_mtim);
  entry.sha256 = digest;
  entry.stored = stream_.position() - entry.offset;
  entry.encoding = compress ? format::Encoding::kZstdFrames : format::Encoding::kRaw;
  return Attempt::kDone;
}

}  // namespace ferry::pack

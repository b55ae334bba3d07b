#include "pack/source_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "pack/compressed_formats.h"

namespace ferry::pack {
namespace {

int64_t ns(const struct timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; }

}  // namespace

SourceFile::SourceFile(util::DirChain& source, const std::string& rel, ReadFailure* failure,
                       std::string* reason) {
  open(source, rel, failure, reason);
  if (fd_ < 0) return;
  struct stat st;
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    *failure = ReadFailure::kChanged;
    *reason = "no longer a regular file";
    return;
  }
  before_ = version_of(st);
  mode_ = st.st_mode & 07777;
}

SourceFile::SourceFile(util::DirChain& source, const format::Entry& walked, ReadFailure* failure,
                       std::string* reason) {
  open(source, walked.path, failure, reason);
  before_ = {walked.size, walked.mtime_ns, walked.ctime_ns, walked.inode};
  mode_ = walked.mode;
}

void SourceFile::open(util::DirChain& source, const std::string& rel, ReadFailure* failure,
                      std::string* reason) {
  *failure = ReadFailure::kNone;
  std::string leaf;
  int dirfd;
  try {
    dirfd = source.parent_of(rel, &leaf, false);
  } catch (const std::exception& e) {
    *failure = ReadFailure::kUnreadable;
    *reason = e.what();
    return;
  }
  // O_NONBLOCK: a FIFO put in place of the file since the walk would otherwise make
  // open() wait for a writer, forever. Reads of regular files ignore it.
  fd_ = ::openat(dirfd, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) {
    *failure = ReadFailure::kUnreadable;
    *reason = std::string("cannot open: ") + std::strerror(errno);
  }
}

SourceFile::~SourceFile() {
  if (fd_ >= 0) ::close(fd_);
}

SourceFile::Version SourceFile::version_of(const struct stat& st) {
  return {static_cast<uint64_t>(st.st_size), ns(st.st_mtim), ns(st.st_ctim),
          static_cast<uint64_t>(st.st_ino)};
}

bool SourceFile::unchanged() const {
  struct stat now;
  if (::fstat(fd_, &now) != 0 || !S_ISREG(now.st_mode)) return false;
  return version_of(now) == before_;
}

void SourceFile::describe(format::Entry& entry) const {
  entry.size = before_.size;
  entry.mode = mode_;
  entry.mtime_ns = before_.mtime_ns;
}

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

ssize_t read_expected(int fd, void* buf, uint64_t size) {
  uint64_t done = 0;
  while (done < size + 1) {
    ssize_t n = read_some(fd, static_cast<char*>(buf) + done, static_cast<size_t>(size + 1 - done));
    if (n < 0) return -1;
    if (n == 0) break;
    done += static_cast<uint64_t>(n);
    if (done == size) break;
  }
  return static_cast<ssize_t>(done);
}

bool worth_compressing(int fd, uint64_t size, codec::ZstdCompressor& zstd,
                       std::vector<uint8_t>& scratch, std::vector<uint8_t>& packed) {
  if (size < kMinCompressSize) return false;
  const size_t sample = static_cast<size_t>(std::min<uint64_t>(kCompressionSample, size));
  scratch.resize(std::max(scratch.size(), sample));
  packed.resize(std::max(packed.size(), codec::zstd_bound(sample)));
  ssize_t n = ::pread(fd, scratch.data(), sample, 0);
  if (n <= 0 || looks_compressed(scratch.data(), static_cast<size_t>(n))) return false;
  size_t c = zstd.compress(scratch.data(), static_cast<size_t>(n), packed.data(), packed.size());
  return compression_pays(c, static_cast<size_t>(n));
}

}  // namespace ferry::pack

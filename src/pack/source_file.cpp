#include "pack/source_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "format/constants.h"
#include "pack/compressed_formats.h"
#include "util/ns_time.h"

namespace ferry::pack {

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
  return {static_cast<uint64_t>(st.st_size), util::ns_of(st.st_mtim), util::ns_of(st.st_ctim),
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

std::vector<uint64_t> sample_offsets(uint64_t size) {
  std::vector<uint64_t> at = {0};
  const uint64_t frame = format::kCompressionFrameSize;
  if (size <= frame) return at;
  for (int quarter = 1; quarter <= 3; ++quarter) {
    const uint64_t offset = size / 4 * quarter / frame * frame;
    if (offset > at.back()) at.push_back(offset);
  }
  return at;
}

size_t sample_pays(const uint8_t* data, size_t len, bool at_start, codec::ZstdCompressor& zstd,
                   std::vector<uint8_t>& packed) {
  if (len == 0 || (at_start ? looks_compressed(data, len)
                            : sampled_byte_entropy(data, len) >= kRandomLookingEntropy)) {
    return 0;
  }
  packed.resize(std::max(packed.size(), codec::zstd_bound(len)));
  const size_t c = zstd.compress(data, len, packed.data(), packed.size());
  return compression_pays(c, len) ? c : 0;
}

bool has_hole(int fd, uint64_t size) {
  // SEEK_HOLE moves the offset, which the read that follows starts from.
  const off_t hole = ::lseek(fd, 0, SEEK_HOLE);
  if (hole < 0 || ::lseek(fd, 0, SEEK_SET) != 0) return false;
  return static_cast<uint64_t>(hole) < size;
}

bool worth_compressing(int fd, uint64_t size, codec::ZstdCompressor& zstd,
                       std::vector<uint8_t>& scratch, std::vector<uint8_t>& packed) {
  if (size < kMinCompressSize) return false;
  if (has_hole(fd, size)) return true;
  const size_t sample = static_cast<size_t>(std::min<uint64_t>(kCompressionSample, size));
  scratch.resize(std::max(scratch.size(), sample));
  for (uint64_t offset : sample_offsets(size)) {
    ssize_t n = ::pread(fd, scratch.data(), sample, static_cast<off_t>(offset));
    if (n <= 0) return false;
    if (offset == 0 && is_compressed_format(scratch.data(), static_cast<size_t>(n))) return false;
    if (sample_pays(scratch.data(), static_cast<size_t>(n), offset == 0, zstd, packed) > 0) {
      return true;
    }
  }
  return false;
}

}  // namespace ferry::pack

#include "read/restored_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ferry/error.h"
#include "util/ns_time.h"
#include "util/safe_path.h"

namespace ferry::read {

RestoredFile::RestoredFile(int dirfd, const format::Entry& entry, std::string shown)
    : dirfd_(dirfd), entry_(entry), sparse_(entry.encoding == format::Encoding::kZstdFrames),
      temp_(".ferry-tmp-" + std::to_string(entry.id)) {
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::openat(dirfd, temp_.c_str(), flags, 0600);
  if (fd < 0 && errno == EEXIST) {  // left by a restore that was stopped
    ::unlinkat(dirfd, temp_.c_str(), 0);
    fd = ::openat(dirfd, temp_.c_str(), flags, 0600);
  }
  if (fd < 0) throw_errno("cannot create a file in " + util::parent_path(shown), errno);
  file_ = io::File(fd, std::move(shown));
}

RestoredFile::~RestoredFile() {
  // A damaged file, or a full or failing target, leaves no debris.
  if (!published_) ::unlinkat(dirfd_, temp_.c_str(), 0);
}

namespace {

bool all_zero(const uint8_t* p, size_t n) {
  return n == 0 || (p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0);
}

}  // namespace

void RestoredFile::write_sparse(const uint8_t* data, size_t len) {
  size_t at = 0;
  while (at < len) {
    // Up to the next block boundary of the file, so that holes fall on whole blocks.
    size_t n = std::min(len - at, kHoleBlock - static_cast<size_t>(position_ % kHoleBlock));
    size_t run = n;
    const bool zero = n == kHoleBlock && all_zero(data + at, n);
    // Whole blocks of the same kind go in one call.
    while (at + run + kHoleBlock <= len && all_zero(data + at + run, kHoleBlock) == zero) {
      run += kHoleBlock;
    }
    if (zero) {
      if (::lseek(file_.fd(), static_cast<off_t>(run), SEEK_CUR) < 0) {
        throw_errno("cannot write " + file_.path(), errno);
      }
    } else {
      file_.write(data + at, run);
    }
    skipped_ = zero;
    position_ += run;
    at += run;
  }
}

void RestoredFile::publish(const std::string& leaf) {
  // A hole at the end: the size comes from here, not from a write.
  if (skipped_ && ::ftruncate(file_.fd(), static_cast<off_t>(position_)) != 0) {
    throw_errno("cannot write " + file_.path(), errno);
  }
  const struct timespec mtime = util::timespec_of(entry_.mtime_ns);
  struct timespec times[2] = {mtime, mtime};
  // Without setuid and setgid: those come with the owner (EntryMetadata), never before.
  // A target that keeps no modes (FAT) refuses: restore's metadata pass finds the mode
  // not applied and lists the file.
  if ((::fchmod(file_.fd(), entry_.mode & 01777) != 0 && !metadata_unsupported(errno)) ||
      ::futimens(file_.fd(), times) != 0) {
    throw_errno("cannot set metadata of " + file_.path(), errno);
  }
  file_.close();
  if (::renameat(dirfd_, temp_.c_str(), dirfd_, leaf.c_str()) != 0) {
    throw_errno("cannot give " + file_.path() + " its final name", errno);
  }
  published_ = true;
}

}  // namespace ferry::read

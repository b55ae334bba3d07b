#include "io/drive_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "ferry/error.h"
#include "format/constants.h"
#include "io/file.h"

namespace ferry::io {

DriveLock::DriveLock(const std::string& folder) {
  std::string path = join(folder, format::kLockFile);
  // Through the untrusted open: a planted link or FIFO named `lock` is refused, never
  // followed or waited on.
  fd_ = ::fcntl(File::open_untrusted_write(path).fd(), F_DUPFD_CLOEXEC, 0);
  if (fd_ < 0) throw_errno("cannot open lock file " + path, errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd_);
    if (err == EWOULDBLOCK) {
      throw Error(ErrorKind::kConflict, "drive " + folder +
                                            " is in use by another ferry process; wait for it to "
                                            "finish or stop it first");
    }
    throw_errno("cannot lock " + path, err);
  }
}

DriveLock::~DriveLock() { ::close(fd_); }

}  // namespace ferry::io

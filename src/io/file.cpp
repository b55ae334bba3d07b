#include "io/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <utility>
#include <vector>

#include "ferry/error.h"
#include "format/constants.h"

namespace ferry::io {

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}
File::File(File&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}
File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

File File::open_read(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open " + path, errno);
  return File(fd, path);
}

File File::open_write(const std::string& path, bool truncate) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
  if (fd < 0) throw_errno("cannot open " + path + " for writing", errno);
  return File(fd, path);
}

// Opened with O_NONBLOCK so a FIFO or device planted where a file belongs cannot hold
// the open; fstat then refuses it. Regular files ignore O_NONBLOCK.
static File checked_regular(int fd, const std::string& path) {
  File file(fd, path);
  struct stat st;
  if (::fstat(fd, &st) != 0) throw_errno("cannot stat " + path, errno);
  if (!S_ISREG(st.st_mode)) {
    throw Error(ErrorKind::kCorruption,
                path + " is not a regular file (a device, FIFO or folder stands where ferry "
                       "keeps a file); ferry will not read or write it. Remove it");
  }
  return file;
}

static void throw_untrusted_open(const std::string& path, int err, const char* what) {
  if (err == ELOOP) {
    throw Error(ErrorKind::kCorruption, path + " is a symbolic link where ferry keeps a file; "
                                               "ferry never follows links on a drive. Remove it");
  }
  if (err == ENXIO) {  // a FIFO no one reads, opened for writing without blocking
    throw Error(ErrorKind::kCorruption, path + " is a FIFO or device where ferry keeps a file; "
                                               "ferry will not read or write it. Remove it");
  }
  throw_errno(std::string("cannot open ") + path + what, err);
}

// Where a path on a drive enters ferry's own folders: the `/` before the shipment folder
// (ferry-<32 hex digits>), or npos when the path has none.
static size_t shipment_folder_start(const std::string& path) {
  const std::string prefix = std::string("/") + format::kShipmentDirPrefix;
  for (size_t at = path.rfind(prefix); at != std::string::npos;
       at = at == 0 ? std::string::npos : path.rfind(prefix, at - 1)) {
    const size_t hex = at + prefix.size(), end = hex + 32;
    if (end > path.size() || (end < path.size() && path[end] != '/')) continue;
    if (std::all_of(path.begin() + hex, path.begin() + end, ::isxdigit)) return at;
  }
  return std::string::npos;
}

// Opens a file on a drive without following a symbolic link anywhere below the folder
// the user named: the drive's path is resolved as the user gave it, everything from the
// shipment folder down through openat2 with RESOLVE_NO_SYMLINKS, so a link planted in
// place of `segments` or the shipment folder, even after it was checked, is refused
// (ELOOP). Kernels without openat2 (before 5.6) get O_NOFOLLOW on the last component.
static int open_on_drive(const std::string& path, int flags, mode_t mode) {
  const size_t cut = shipment_folder_start(path);
  if (cut != std::string::npos) {
    const std::string drive = cut == 0 ? "/" : path.substr(0, cut);
    int dirfd = ::open(drive.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) return -1;
    struct open_how how {};
    how.flags = static_cast<uint64_t>(flags);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH;
    const std::string below = path.substr(cut + 1);
    const long fd = ::syscall(SYS_openat2, dirfd, below.c_str(), &how, sizeof how);
    const int err = errno;
    ::close(dirfd);
    if (fd >= 0 || err != ENOSYS) {
      errno = err;
      return static_cast<int>(fd);
    }
  }
  return ::open(path.c_str(), flags, mode);
}

File File::open_untrusted(const std::string& path) {
  int fd = open_on_drive(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
  if (fd < 0) throw_untrusted_open(path, errno, "");
  return checked_regular(fd, path);
}

File File::open_untrusted_write(const std::string& path) {
  int fd = open_on_drive(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
                         0644);
  if (fd < 0) throw_untrusted_open(path, errno, " for writing");
  return checked_regular(fd, path);
}

size_t File::pread(void* buf, size_t len, uint64_t offset) const {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd_, static_cast<char*>(buf) + done, len - done,
                        static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read error in " + path_, errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

size_t File::read(void* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::read(fd_, static_cast<char*>(buf) + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read error in " + path_, errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

void File::pwrite(const void* buf, size_t len, uint64_t offset) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pwrite(fd_, static_cast<const char*>(buf) + done, len - done,
                         static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write " + path_, errno);
    }
    done += static_cast<size_t>(n);
  }
}

void File::write(const void* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::write(fd_, static_cast<const char*>(buf) + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write " + path_, errno);
    }
    done += static_cast<size_t>(n);
  }
}

uint64_t File::size() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) throw_errno("cannot stat " + path_, errno);
  return static_cast<uint64_t>(st.st_size);
}

void File::sync() {
  if (::fsync(fd_) != 0) throw_errno("cannot flush " + path_ + " to disk", errno);
}

void File::close() {
  if (fd_ < 0) return;
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) throw_errno("cannot close " + path_, errno);
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string read_whole_file(const std::string& path) {
  File f = File::open_read(path);
  std::string data(f.size(), '\0');
  data.resize(f.pread(data.data(), data.size(), 0));
  return data;
}

std::string read_untrusted_file(const ReadEnv& env, const std::string& path, uint64_t max_bytes) {
  std::unique_ptr<RandomAccessFile> file = env.open(path);
  std::string data;
  for (;;) {
    const size_t want = 64 << 10;
    const size_t at = data.size();
    data.resize(at + want);
    const size_t got = file->pread(data.data() + at, want, at);
    data.resize(at + got);
    if (data.size() > max_bytes) {
      throw Error(ErrorKind::kCorruption, path + " is more than the " + std::to_string(max_bytes) +
                                              " bytes ferry ever writes there; not read further");
    }
    if (got < want) return data;
  }
}

std::vector<DriveFolderEntry> list_drive_folder(const std::string& path) {
  std::vector<DriveFolderEntry> entries;
  int fd = open_on_drive(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0) return entries;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), &::closedir);
  if (!dir) {
    ::close(fd);
    return entries;
  }
  while (dirent* e = ::readdir(dir.get())) {
    DriveFolderEntry entry{e->d_name, {}};
    if (entry.name == "." || entry.name == "..") continue;
    if (::fstatat(fd, e->d_name, &entry.st, AT_SYMLINK_NOFOLLOW) == 0) entries.push_back(entry);
  }
  return entries;
}

void require_real_directory(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;  // missing: the caller reports that
  if (!S_ISDIR(st.st_mode)) {
    throw Error(ErrorKind::kCorruption,
                path + (S_ISLNK(st.st_mode) ? " is a symbolic link" : " is not a folder") +
                    " where ferry keeps a folder; ferry never follows links on a drive");
  }
}

void fsync_directory(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open directory " + path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL) throw_errno("cannot flush directory " + path, err);
}

static std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

void write_file_atomically(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  {
    File f = File::open_write(tmp, true);
    f.write(data.data(), data.size());
    f.sync();
    f.close();
  }
  rename_into_place(tmp, path);
}

void rename_into_place(const std::string& temp, const std::string& path) {
  if (::rename(temp.c_str(), path.c_str()) != 0) throw_errno("cannot rename " + temp, errno);
  fsync_directory(parent_of(path));
}

void make_directories(const std::string& path) {
  if (path.empty() || is_directory(path)) return;
  make_directories(parent_of(path));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    throw_errno("cannot create directory " + path, errno);
  }
}

static void remove_at(int dirfd, const std::string& name, const std::string& shown) {
  if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return;
  if (errno != EISDIR && errno != EPERM) throw_errno("cannot remove " + shown, errno);
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open " + shown, errno);
  DIR* dir = ::fdopendir(fd);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    std::string child = e->d_name;
    if (child != "." && child != "..") names.push_back(child);
  }
  for (const auto& child : names) remove_at(fd, child, shown + "/" + child);
  ::closedir(dir);
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    throw_errno("cannot remove " + shown, errno);
  }
}

void remove_tree(const std::string& path) { remove_at(AT_FDCWD, path, path); }

static uint64_t allocated_at(int dirfd, const std::string& name, const std::string& shown) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return 0;
    throw_errno("cannot stat " + shown, errno);
  }
  uint64_t bytes = static_cast<uint64_t>(st.st_blocks) * 512;
  if (!S_ISDIR(st.st_mode)) return bytes;
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open " + shown, errno);
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), &::closedir);
  if (!dir) {
    int err = errno;
    ::close(fd);
    throw_errno("cannot read " + shown, err);
  }
  while (dirent* e = ::readdir(dir.get())) {
    std::string child = e->d_name;
    if (child != "." && child != "..") bytes += allocated_at(fd, child, shown + "/" + child);
  }
  return bytes;
}

uint64_t allocated_bytes(const std::string& path) { return allocated_at(AT_FDCWD, path, path); }

namespace {

// Six characters from [A-Za-z0-9], from the kernel's random source, as mkstemp uses.
std::string random_suffix() {
  static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  uint8_t bytes[6] = {};
  if (::getentropy(bytes, sizeof bytes) != 0) {
    const uint64_t t = static_cast<uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ull ^
                       static_cast<uint64_t>(std::clock());
    for (size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<uint8_t>(t >> (8 * i));
  }
  std::string out;
  for (uint8_t b : bytes) out += kChars[b % (sizeof kChars - 1)];
  return out;
}

// Forks a process that waits until every write end of `pipe_fds` is closed (this process
// has ended, however) and then removes `paths`; a byte written to the pipe instead
// dismisses it without removing anything. Between fork and _exit the child makes only
// async-signal-safe calls, as a fork of a threaded process must.
pid_t watch_for_exit(int pipe_fds[2], const std::vector<std::string>& paths) {
  struct rlimit limit;
  const int max_fd = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
                         ? static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 65536))
                         : 1024;
  std::vector<const char*> names;
  for (const std::string& p : paths) names.push_back(p.c_str());
  pid_t pid = ::fork();
  if (pid != 0) return pid;  // the parent (-1 when fork failed: the destructor still cleans up)
  // Only the pipe's read end stays open: no drive lock, output or other pipe is held.
  for (int fd = 0; fd < max_fd; ++fd) {
    if (fd != pipe_fds[0]) ::close(fd);
  }
  ::signal(SIGINT, SIG_IGN);  // a Ctrl-C to the whole group must not stop the cleanup
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  char byte;
  for (;;) {
    const ssize_t got = ::read(pipe_fds[0], &byte, 1);
    if (got == 1) ::_exit(0);  // dismissed: the name was not ours
    if (got == 0 || errno != EINTR) break;
  }
  for (const char* name : names) ::unlink(name);
  ::_exit(0);
}

}  // namespace

TempFile::TempFile(const std::string& stem) {
  const char* dir = std::getenv("TMPDIR");
  const std::string folder = dir && *dir ? dir : "/tmp";
  // The watchdog starts before the file exists, so there is no moment, however short,
  // in which this process could die and leave the file behind.
  for (int tries = 0;; ++tries) {
    std::string name = folder + "/" + stem + "." + random_suffix();
    int pipe_fds[2] = {-1, -1};
    pid_t watchdog = -1;
    if (::pipe2(pipe_fds, O_CLOEXEC) == 0) {
      std::vector<std::string> paths = {name};
      for (const char* suffix : {"-journal", "-wal", "-shm"}) paths.push_back(name + suffix);
      watchdog = watch_for_exit(pipe_fds, paths);
      ::close(pipe_fds[0]);
    }
    int fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    const int err = errno;
    if (fd >= 0) {
      ::close(fd);
      path_ = name;
      watchdog_pid_ = watchdog;
      watchdog_pipe_ = pipe_fds[1];
      return;
    }
    if (pipe_fds[1] >= 0) {
      (void)!::write(pipe_fds[1], "x", 1);  // not our file: the watchdog leaves it alone
      ::close(pipe_fds[1]);
    }
    if (watchdog > 0) ::waitpid(watchdog, nullptr, 0);
    if (err != EEXIST || tries >= 100) {
      throw_errno("cannot create a temporary file in " + folder, err);
    }
  }
}

TempFile::~TempFile() {
  ::unlink(path_.c_str());
  for (const char* suffix : {"-journal", "-wal", "-shm"}) ::unlink((path_ + suffix).c_str());
  if (watchdog_pipe_ >= 0) ::close(watchdog_pipe_);  // the watchdog finds nothing left and ends
  if (watchdog_pid_ > 0) ::waitpid(watchdog_pid_, nullptr, 0);
}

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace ferry::io

#include "plan/source_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ferry/error.h"

namespace ferry::plan {
namespace {

// An open directory that subdirectories still to be scanned are opened relative to, so
// that no path is resolved again from the root (fast, and no symlink swapped into the
// path is ever followed). Closed when the last of them has been opened.
struct OpenDir {
  explicit OpenDir(int fd) : fd(fd) {}
  ~OpenDir() { ::close(fd); }
  OpenDir(const OpenDir&) = delete;
  OpenDir& operator=(const OpenDir&) = delete;
  int fd;
};

struct Job {
  std::shared_ptr<OpenDir> parent;  // null for the root, which comes already open
  std::string path;                 // relative to the root, for messages; "" for the root
  size_t name_at = 0;               // where the last component of `path` starts
  int fd = -1;                      // the root's descriptor
};

class Scanner {
 public:
  explicit Scanner(std::string root) : root_(std::move(root)) {}

  SourceSummary run(int root_fd, int threads) {
    stack_.push_back(Job{nullptr, "", 0, root_fd});
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; ++i) workers.emplace_back([this] { work(); });
    for (auto& w : workers) w.join();
    return total_;
  }

 private:
  void work() {
    SourceSummary mine;
    Job job;
    while (pop(job)) {
      std::vector<Job> children;
      scan_directory(std::move(job), mine, children);
      finish(children);
    }
    std::lock_guard lock(mutex_);
    total_.bytes += mine.bytes;
    total_.files += mine.files;
    total_.directories += mine.directories;
    total_.symlinks += mine.symlinks;
    total_.others += mine.others;
    total_.unreadable += mine.unreadable;
    if (total_.first_error.empty()) total_.first_error = mine.first_error;
  }

  // Waits for a directory to scan; false once none is left and none is being scanned.
  bool pop(Job& job) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return !stack_.empty() || busy_ == 0; });
    if (stack_.empty()) return false;
    // Last in, first out: going deep first closes parents soon, keeping few open.
    job = std::move(stack_.back());
    stack_.pop_back();
    ++busy_;
    return true;
  }

  void finish(std::vector<Job>& children) {
    std::lock_guard lock(mutex_);
    for (auto& c : children) stack_.push_back(std::move(c));
    --busy_;
    if (busy_ == 0 || !children.empty()) ready_.notify_all();
  }

  void note_error(SourceSummary& s, const std::string& path, int err) {
    ++s.unreadable;
    if (s.first_error.empty()) {
      s.first_error = (path.empty() ? root_ : root_ + "/" + path) + ": " + std::strerror(err);
    }
  }

  void scan_directory(Job job, SourceSummary& s, std::vector<Job>& children) {
    int fd = job.fd;
    if (fd < 0) {
      fd = ::openat(job.parent->fd, job.path.c_str() + job.name_at,
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    job.parent.reset();
    if (fd < 0) {
      if (errno != ENOENT) note_error(s, job.path, errno);
      return;
    }
    DIR* dir = ::fdopendir(fd);
    if (!dir) {
      note_error(s, job.path, errno);
      ::close(fd);
      return;
    }
    std::shared_ptr<OpenDir> self;
    std::string prefix = job.path.empty() ? "" : job.path + "/";
    for (;;) {
      errno = 0;
      dirent* entry = ::readdir(dir);
      if (!entry) {
        if (errno != 0) note_error(s, job.path, errno);
        break;
      }
      const char* name = entry->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      unsigned char type = entry->d_type;
      if (type == DT_REG || type == DT_UNKNOWN) {
        struct stat st;
        if (::fstatat(::dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
          if (errno != ENOENT) note_error(s, prefix + name, errno);
          continue;
        }
        type = S_ISREG(st.st_mode)   ? DT_REG
               : S_ISDIR(st.st_mode) ? DT_DIR
               : S_ISLNK(st.st_mode) ? DT_LNK
                                     : DT_UNKNOWN;
        if (type == DT_REG) s.bytes += static_cast<uint64_t>(st.st_size);
      }
      switch (type) {
        case DT_REG:
          ++s.files;
          break;
        case DT_LNK:
          ++s.symlinks;
          break;
        case DT_DIR: {
          ++s.directories;
          if (!self) {
            int keep = ::fcntl(::dirfd(dir), F_DUPFD_CLOEXEC, 0);
            if (keep < 0) {
              note_error(s, prefix + name, errno);
              continue;
            }
            self = std::make_shared<OpenDir>(keep);
          }
          std::string path = prefix + name;
          children.push_back(Job{self, std::move(path), prefix.size(), -1});
          break;
        }
        default:
          ++s.others;
      }
    }
    ::closedir(dir);
  }

  std::string root_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<Job> stack_;
  int busy_ = 0;
  SourceSummary total_;
};

}  // namespace

SourceSummary scan_source(const std::string& root, const ScanOptions& options) {
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) throw_errno("cannot read the source " + root, errno);
  if (S_ISREG(st.st_mode)) {
    SourceSummary one;
    one.files = 1;
    one.bytes = static_cast<uint64_t>(st.st_size);
    return one;
  }
  if (!S_ISDIR(st.st_mode)) {
    throw Error(ErrorKind::kInvalidArgument,
                "the source " + root + " is neither a directory nor a regular file");
  }
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot read the source " + root, errno);
  return Scanner(root).run(fd, std::max(1, options.threads));
}

}  // namespace ferry::plan

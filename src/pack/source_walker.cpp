#include "pack/source_walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "ferry/error.h"
#include "util/threads.h"

namespace ferry::pack {
namespace {

int64_t ns(const struct timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

constexpr const char* kSpecialKinds[] = {"socket", "FIFO", "character device", "block device",
                                         "unknown file type"};

const char* special_kind(mode_t mode) {
  if (S_ISSOCK(mode)) return kSpecialKinds[0];
  if (S_ISFIFO(mode)) return kSpecialKinds[1];
  if (S_ISCHR(mode)) return kSpecialKinds[2];
  if (S_ISBLK(mode)) return kSpecialKinds[3];
  return kSpecialKinds[4];
}

// One thing the lister found: an entry for the catalog, or a path left out and why.
struct Found {
  format::Entry entry;
  std::string skip_reason;  // empty for an entry
};

// Hands what the lister finds to the thread that records it, in batches and in order,
// holding at most a few batches: the lister's system calls (readdir, fstatat) and the
// catalog's inserts then run on two cores at once, in bounded memory.
class FoundQueue {
 public:
  static constexpr size_t kBatch = 1024;
  static constexpr size_t kMaxBatches = 16;

  // Each batch is reserved whole: grown one push at a time, it was reallocated ten
  // times, moving the entries already in it, on the thread the walk waits for.
  FoundQueue() { filling_.reserve(kBatch); }

  // The lister's side. Returns false once the recorder has given up.
  bool push(Found found) {
    filling_.push_back(std::move(found));
    return filling_.size() < kBatch || flush();
  }
  bool flush() {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return batches_.size() < kMaxBatches || abandoned_; });
    if (abandoned_) return false;
    if (!filling_.empty()) batches_.push_back(std::move(filling_));
    filling_.clear();
    filling_.reserve(kBatch);
    ready_.notify_one();
    return true;
  }
  void finish(std::exception_ptr error) {
    flush();
    std::lock_guard lock(mutex_);
    error_ = error;
    finished_ = true;
    ready_.notify_one();
  }

  // The recorder's side: the next batch, or false when the walk is over (rethrows what
  // the lister threw).
  bool pop(std::vector<Found>& batch) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !batches_.empty() || finished_; });
    if (batches_.empty()) {
      if (error_) std::rethrow_exception(error_);
      return false;
    }
    batch = std::move(batches_.front());
    batches_.pop_front();
    room_.notify_one();
    return true;
  }
  void abandon() {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
    room_.notify_one();
  }

 private:
  std::vector<Found> filling_;  // the lister's own
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<std::vector<Found>> batches_;
  std::exception_ptr error_;
  bool finished_ = false;
  bool abandoned_ = false;
};

// Thrown inside the lister to unwind it when the recorder has given up.
struct Abandoned {};

class Lister {
 public:
  explicit Lister(FoundQueue& out) : out_(out) {}

  void walk(int dirfd, const std::string& prefix) {
    std::vector<std::string> names;
    {
      int listfd = ::dup(dirfd);
      DIR* dir = listfd >= 0 ? ::fdopendir(listfd) : nullptr;
      if (!dir) throw_errno("cannot list directory " + prefix, errno);
      errno = 0;
      while (dirent* e = ::readdir(dir)) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
          names.emplace_back(e->d_name);
        }
      }
      int err = errno;
      ::closedir(dir);
      if (err) throw_errno("cannot list directory " + prefix, err);
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      std::string rel = prefix.empty() ? name : prefix + "/" + name;
      struct stat st;
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        skip(rel, std::string("cannot stat: ") + std::strerror(errno));
        continue;
      }
      format::Entry e;
      e.path = rel;
      e.mode = st.st_mode & 07777;
      e.mtime_ns = ns(st.st_mtim);
      if (S_ISREG(st.st_mode)) {
        e.kind = format::EntryKind::kFile;
        e.size = static_cast<uint64_t>(st.st_size);
        e.ctime_ns = ns(st.st_ctim);
        e.inode = static_cast<uint64_t>(st.st_ino);
        add(std::move(e));
      } else if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
        if (n < 0 || static_cast<size_t>(n) >= target.size()) {
          skip(rel, "cannot read symbolic link");
          continue;
        }
        target.resize(static_cast<size_t>(n));
        e.kind = format::EntryKind::kSymlink;
        e.size = target.size();
        e.target = std::move(target);
        add(std::move(e));
      } else if (S_ISDIR(st.st_mode)) {
        int child = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0) {
          skip(rel, std::string("cannot open directory: ") + std::strerror(errno));
          continue;
        }
        e.kind = format::EntryKind::kDirectory;
        try {
          add(std::move(e));
          walk(child, rel);
        } catch (const Error& err) {
          skip(rel, err.what());
        } catch (...) {
          ::close(child);
          throw;
        }
        ::close(child);
      } else {
        skip(rel, special_kind(st.st_mode));
      }
    }
  }

 private:
  void add(format::Entry e) {
    if (!out_.push(Found{std::move(e), {}})) throw Abandoned{};
  }
  void skip(const std::string& rel, const std::string& reason) {
    format::Entry e;
    e.path = rel;
    if (!out_.push(Found{std::move(e), reason})) throw Abandoned{};
  }

  FoundQueue& out_;
};

// Records what the lister finds into the catalog, in the order found, a batch at a time.
void record(FoundQueue& queue, format::Catalog& catalog, WalkTotals& totals) {
  uint64_t uncommitted = 0;
  std::vector<Found> batch;
  std::vector<const format::Entry*> entries;
  while (queue.pop(batch)) {
    entries.clear();
    for (const Found& f : batch) {
      if (!f.skip_reason.empty()) {
        catalog.add_skipped(f.entry.path, f.skip_reason);
        continue;
      }
      entries.push_back(&f.entry);
      switch (f.entry.kind) {
        case format::EntryKind::kFile:
          ++totals.files;
          totals.file_bytes += f.entry.size;
          break;
        case format::EntryKind::kSymlink:
          ++totals.symlinks;
          break;
        case format::EntryKind::kDirectory:
          ++totals.directories;
          break;
      }
    }
    catalog.add_all(entries);
    uncommitted += entries.size();
    if (uncommitted >= 10000) {
      catalog.commit();
      catalog.begin();
      uncommitted = 0;
    }
  }
}

}  // namespace

bool is_special_file_reason(const std::string& reason) {
  for (const char* kind : kSpecialKinds) {
    if (reason == kind) return true;
  }
  return false;
}

WalkTotals walk_source(const std::string& root, format::Catalog& catalog) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open source directory " + root, errno);
  FoundQueue queue;
  std::thread lister([&queue, fd] {
    util::name_this_thread("ferry-walk");
    std::exception_ptr error;
    try {
      Lister(queue).walk(fd, "");
    } catch (const Abandoned&) {
    } catch (...) {
      error = std::current_exception();
    }
    ::close(fd);
    queue.finish(error);
  });
  WalkTotals totals;
  try {
    catalog.begin();
    record(queue, catalog, totals);
    catalog.commit();
  } catch (...) {
    queue.abandon();
    lister.join();
    throw;
  }
  lister.join();
  return totals;
}

}  // namespace ferry::pack

#include "pack/source_walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ferry/error.h"

namespace ferry::pack {
namespace {

int64_t mtime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
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

class Walker {
 public:
  Walker(format::Catalog& catalog, WalkTotals& totals) : catalog_(catalog), totals_(totals) {}

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
      e.mtime_ns = mtime_ns(st);
      if (S_ISREG(st.st_mode)) {
        e.kind = format::EntryKind::kFile;
        e.size = static_cast<uint64_t>(st.st_size);
        add(e);
        ++totals_.files;
        totals_.file_bytes += e.size;
      } else if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
        if (n < 0 || static_cast<size_t>(n) >= target.size()) {
          skip(rel, "cannot read symbolic link");
          continue;
        }
        target.resize(static_cast<size_t>(n));
        e.kind = format::EntryKind::kSymlink;
        e.target = target;
        e.size = target.size();
        add(e);
        ++totals_.symlinks;
      } else if (S_ISDIR(st.st_mode)) {
        int child = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0) {
          skip(rel, std::string("cannot open directory: ") + std::strerror(errno));
          continue;
        }
        e.kind = format::EntryKind::kDirectory;
        add(e);
        ++totals_.directories;
        try {
          walk(child, rel);
        } catch (const Error& err) {
          skip(rel, err.what());
        }
        ::close(child);
      } else {
        skip(rel, special_kind(st.st_mode));
      }
    }
  }

 private:
  void add(const format::Entry& e) {
    catalog_.add(e);
    if (++pending_ % 10000 == 0) {
      catalog_.commit();
      catalog_.begin();
    }
  }
  void skip(const std::string& rel, const std::string& reason) { catalog_.add_skipped(rel, reason); }

  format::Catalog& catalog_;
  WalkTotals& totals_;
  uint64_t pending_ = 0;
};

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
  WalkTotals totals;
  catalog.begin();
  try {
    Walker(catalog, totals).walk(fd, "");
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  catalog.commit();
  return totals;
}

}  // namespace ferry::pack

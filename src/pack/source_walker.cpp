#include "pack/source_walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "ferry/error.h"
#include "format/posix_acl.h"
#include "pack/source_file.h"
#include "util/display.h"
#include "util/ns_time.h"
#include "util/threads.h"

namespace ferry::pack {
namespace {

constexpr const char* kSpecialKinds[] = {"socket", "FIFO", "character device", "block device",
                                         "unknown file type"};

const char* special_kind(mode_t mode) {
  if (S_ISSOCK(mode)) return kSpecialKinds[0];
  if (S_ISFIFO(mode)) return kSpecialKinds[1];
  if (S_ISCHR(mode)) return kSpecialKinds[2];
  if (S_ISBLK(mode)) return kSpecialKinds[3];
  return kSpecialKinds[4];
}

// The extended attributes of `name` in the folder `dirfd`, without following a link:
// there is no *at() form of llistxattr, and /proc/self/fd names the folder. Empty when
// the file system has none or does not support them.
std::vector<format::Xattr> read_xattrs(int dirfd, const std::string& name) {
  std::vector<format::Xattr> out;
  const std::string path = "/proc/self/fd/" + std::to_string(dirfd) + "/" + name;
  std::string names;
  for (;;) {
    ssize_t n = ::llistxattr(path.c_str(), nullptr, 0);
    if (n <= 0) return out;
    names.resize(static_cast<size_t>(n));
    n = ::llistxattr(path.c_str(), names.data(), names.size());
    if (n >= 0) {
      names.resize(static_cast<size_t>(n));
      break;
    }
    if (errno != ERANGE) return out;  // grew between the two calls: ask again
  }
  for (size_t at = 0; at < names.size();) {
    std::string attr(names.c_str() + at);
    at += attr.size() + 1;
    if (attr.empty()) continue;
    std::string value;
    for (;;) {
      ssize_t n = ::lgetxattr(path.c_str(), attr.c_str(), nullptr, 0);
      if (n < 0) break;
      value.resize(static_cast<size_t>(n));
      n = ::lgetxattr(path.c_str(), attr.c_str(), value.data(), value.size());
      if (n >= 0) {
        value.resize(static_cast<size_t>(n));
        out.push_back({std::move(attr), std::move(value)});
        break;
      }
      if (errno != ERANGE) break;
    }
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

// The name of a user or group id on this system, or empty when it has none.
std::string user_name(uint32_t uid) {
  std::vector<char> buf(16384);
  struct passwd pw, *found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return {};
  return found->pw_name;
}
std::string group_name(uint32_t gid) {
  std::vector<char> buf(16384);
  struct group gr, *found = nullptr;
  if (::getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) != 0 || !found) return {};
  return found->gr_name;
}

// The names of the users and groups that ACLs among `xattrs` give rights to, as of owners.
void note_acl_names(const std::vector<format::Xattr>& xattrs,
                    std::map<uint32_t, std::string>& users,
                    std::map<uint32_t, std::string>& groups) {
  for (const format::Xattr& x : xattrs) {
    if (!format::is_posix_acl(x.name)) continue;
    for (const format::AclNamedId& named : format::acl_named_ids(x.value)) {
      auto& known = named.group ? groups : users;
      if (known.count(named.id)) continue;
      known[named.id] = named.group ? group_name(named.id) : user_name(named.id);
    }
  }
}

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
  Lister(FoundQueue& out, bool xattrs) : out_(out), xattrs_(xattrs) {}

  // Every owner and group id met, with its name on this system (empty: none).
  std::map<uint32_t, std::string> users, groups;

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
      e.mtime_ns = util::ns_of(st.st_mtim);
      std::string note;
      if (!util::ns_fits(st.st_mtim)) {
        note = util::shown(rel) + ": its modification time lies beyond what ferry keeps "
               "(1677-09-21 to 2262-04-11); kept as " +
               (e.mtime_ns < 0 ? std::string("1677-09-21") : std::string("2262-04-11"));
      }
      e.uid = st.st_uid;
      e.gid = st.st_gid;
      if (!users.count(e.uid)) users[e.uid] = user_name(e.uid);
      if (!groups.count(e.gid)) groups[e.gid] = group_name(e.gid);
      if (xattrs_ && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))) {
        e.xattrs = read_xattrs(dirfd, name);
        note_acl_names(e.xattrs, users, groups);
      }
      if (S_ISREG(st.st_mode)) {
        e.kind = format::EntryKind::kFile;
        e.size = static_cast<uint64_t>(st.st_size);
        e.ctime_ns = util::ns_of(st.st_ctim);
        e.inode = static_cast<uint64_t>(st.st_ino);
        if (st.st_nlink > 1) {
          // A later name of a file already walked shares its stored bytes.
          auto [first, inserted] = first_names_.try_emplace({st.st_dev, st.st_ino}, next_id_);
          if (!inserted) {
            e.link = first->second;
            e.xattrs.clear();  // the first name's, which are the same inode's
          }
        }
        add(std::move(e), note);
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
        add(std::move(e), note);
      } else if (S_ISDIR(st.st_mode)) {
        int child = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0) {
          skip(rel, std::string("cannot open directory: ") + std::strerror(errno));
          continue;
        }
        e.kind = format::EntryKind::kDirectory;
        try {
          add(std::move(e), note);
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
  // The recorder gives the entries consecutive ids from 1, in the order added.
  void add(format::Entry e, std::string note = {}) {
    ++next_id_;
    if (!out_.push(Found{std::move(e), {}, std::move(note)})) throw Abandoned{};
  }
  void skip(const std::string& rel, const std::string& reason) {
    format::Entry e;
    e.path = rel;
    if (!out_.push(Found{std::move(e), reason, {}})) throw Abandoned{};
  }

  FoundQueue& out_;
  const bool xattrs_;
  int64_t next_id_ = 1;  // the id the next entry added will have
  // Files with more than one name: the id of the first name walked, by device and inode.
  std::map<std::pair<dev_t, ino_t>, int64_t> first_names_;
};

}  // namespace

void count(const Found& f, WalkTotals& totals) {
  if (!f.skip_reason.empty()) return;
  switch (f.entry.kind) {
    case format::EntryKind::kFile:
      ++totals.files;
      if (!f.entry.link) totals.file_bytes += f.entry.size;  // a link stores nothing
      break;
    case format::EntryKind::kSymlink:
      ++totals.symlinks;
      break;
    case format::EntryKind::kDirectory:
      ++totals.directories;
      break;
  }
}

bool is_special_file_reason(const std::string& reason) {
  for (const char* kind : kSpecialKinds) {
    if (reason == kind) return true;
  }
  return false;
}

OwnerNames walk_tree(const std::string& root, bool xattrs,
                     const std::function<void(std::vector<Found>&)>& batch) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open source directory " + root, errno);
  FoundQueue queue;
  Lister walker(queue, xattrs);
  std::thread lister([&queue, &walker, fd] {
    util::name_this_thread("ferry-walk");
    std::exception_ptr error;
    try {
      walker.walk(fd, "");
    } catch (const Abandoned&) {
    } catch (...) {
      error = std::current_exception();
    }
    ::close(fd);
    queue.finish(error);
  });
  try {
    std::vector<Found> found;
    while (queue.pop(found)) batch(found);
  } catch (...) {
    queue.abandon();
    lister.join();
    throw;
  }
  lister.join();
  return OwnerNames{std::move(walker.users), std::move(walker.groups)};
}

WalkTotals walk_source(const std::string& root, format::Catalog& catalog, bool xattrs) {
  WalkTotals totals;
  uint64_t uncommitted = 0;
  std::vector<const format::Entry*> entries;
  catalog.begin();
  OwnerNames names = walk_tree(root, xattrs, [&](std::vector<Found>& batch) {
    entries.clear();
    for (const Found& f : batch) {
      count(f, totals);
      if (!f.note.empty()) totals.notes.push_back(f.note);
      if (f.skip_reason.empty()) {
        entries.push_back(&f.entry);
      } else {
        catalog.add_skipped(f.entry.path, f.skip_reason);
      }
    }
    catalog.add_all(entries);
    uncommitted += entries.size();
    if (uncommitted >= 10000) {
      catalog.commit();
      catalog.begin();
      uncommitted = 0;
    }
  });
  catalog.commit();
  catalog.begin();
  struct stat root_st;
  if (::stat(root.c_str(), &root_st) == 0) {  // for the target folder of a whole restore
    catalog.set_meta("root_mode", std::to_string(root_st.st_mode & 07777));
    catalog.set_meta("root_mtime_ns", std::to_string(util::ns_of(root_st.st_mtim)));
    catalog.set_meta("root_uid", std::to_string(root_st.st_uid));
    catalog.set_meta("root_gid", std::to_string(root_st.st_gid));
  }
  // The folder's own extended attributes (a default ACL that its files inherit, say).
  const int root_fd = xattrs ? ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (root_fd >= 0) {
    const std::vector<format::Xattr> own = read_xattrs(root_fd, ".");
    ::close(root_fd);
    if (!own.empty()) catalog.set_meta("root_xattrs", format::encode_xattrs(own));
    note_acl_names(own, names.users, names.groups);
  }
  using Kind = format::Catalog::OwnerKind;
  for (auto& [id, name] : names.users) {
    if (!name.empty()) catalog.set_owner_name(Kind::kUser, id, name);
  }
  for (auto& [id, name] : names.groups) {
    if (!name.empty()) catalog.set_owner_name(Kind::kGroup, id, name);
  }
  catalog.commit();
  return totals;
}

}  // namespace ferry::pack

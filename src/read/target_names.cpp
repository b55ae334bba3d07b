#include "read/target_names.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_set>

#include "ferry/error.h"
#include "io/file.h"
#include "util/display.h"
#include "util/safe_path.h"

namespace ferry::read {
namespace {

constexpr const char* kProbe = ".ferry-probe-";

// Creates `name` in `dirfd` and removes it; false when the file system refuses the name.
bool holds(int dirfd, const std::string& name) {
  int fd =
      ::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return errno == EEXIST;
  ::close(fd);
  ::unlinkat(dirfd, name.c_str(), 0);
  return true;
}

// Makes `made`, looks for `other`, removes both: whether the target takes them as one name.
bool same_name(int dirfd, const std::string& made, const std::string& other) {
  int fd = ::openat(dirfd, made.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  ::close(fd);
  struct stat st;
  const bool same = ::fstatat(dirfd, other.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  ::unlinkat(dirfd, made.c_str(), 0);
  ::unlinkat(dirfd, other.c_str(), 0);
  return same;
}

bool is_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

bool plain(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_' || c >= 0x80;
}

std::string leaf_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string byte_shown(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7f) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", u);
    return hex;
  }
  return std::string("'") + c + "'";
}

// Groups of paths that the target would make one, joined as pairs are found: a name
// found equal to two others joins their groups.
struct Groups {
  std::vector<std::vector<std::string>> list;  // a group merged into another is left empty
  std::unordered_map<std::string, size_t> of;  // path → its group in `list`

  void join(const std::string& a, const std::string& b) {
    auto ia = of.find(a), ib = of.find(b);
    if (ia == of.end() && ib == of.end()) {
      of[a] = of[b] = list.size();
      list.push_back({a, b});
    } else if (ib == of.end()) {
      of[b] = ia->second;
      list[ia->second].push_back(b);
    } else if (ia == of.end()) {
      of[a] = ib->second;
      list[ib->second].push_back(a);
    } else if (ia->second != ib->second) {
      const size_t into = ia->second, from = ib->second;
      for (std::string& p : list[from]) {
        of[p] = into;
        list[into].push_back(std::move(p));
      }
      list[from].clear();
    }
  }
};

// Paths equal but for ASCII case, grouped; a group counts when two of its names share a
// folder (names below two folders that collide are that folders' collision).
void group_ascii_case(format::Catalog& catalog, const Selection& selection, Groups& groups) {
  format::Catalog::Query paths(
      catalog,
      "SELECT path FROM entries WHERE lower(CAST(path AS TEXT)) IN"
      " (SELECT lower(CAST(path AS TEXT)) FROM entries GROUP BY 1 HAVING count(*) > 1)"
      " ORDER BY lower(CAST(path AS TEXT)), id",
      "names equal but for case");
  std::vector<std::string> group;
  std::string key;
  auto close_group = [&] {
    std::map<std::string, std::vector<std::string>> per_folder;
    for (const std::string& p : group) per_folder[util::parent_path(p)].push_back(p);
    for (const auto& [folder, names] : per_folder) {
      for (size_t i = 1; i < names.size(); ++i) groups.join(names[0], names[i]);
    }
    group.clear();
  };
  while (paths.next()) {
    std::string path = paths.bytes(0);
    if (!selection.contains(path)) continue;
    std::string folded = fold_ascii(path);
    if (folded != key) {
      close_group();
      key = folded;
    }
    group.push_back(std::move(path));
  }
  close_group();
}

bool beyond_ascii(const std::string& name) {
  for (char c : name) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

// Names with bytes beyond ASCII are made in the trial, a subfolder per folder of the
// shipment; then the plain names of those folders are looked up there (`K`, U+212A
// KELVIN SIGN, is `k` to a target that folds case). Only what the target says is one
// name is grouped.
void group_by_trial(NameTrial& trial, format::Catalog& catalog, const Selection& selection,
                    Groups& groups) {
  std::unordered_map<std::string, uint64_t> folders;  // shipment folder → trial subfolder
  std::vector<std::string> made;                      // index → path
  format::Entry e;
  {
    auto cursor = catalog.entries();
    while (cursor.next(e)) {
      const std::string leaf = leaf_of(e.path);
      if (!beyond_ascii(leaf) || !selection.contains(e.path)) continue;
      const uint64_t folder =
          folders.emplace(util::parent_path(e.path), folders.size()).first->second;
      const int64_t same = trial.make(folder, leaf, static_cast<int64_t>(made.size()));
      made.push_back(e.path);
      if (same >= 0) groups.join(made[static_cast<size_t>(same)], e.path);
    }
  }
  if (folders.empty()) return;
  auto cursor = catalog.entries();
  while (cursor.next(e)) {
    const std::string leaf = leaf_of(e.path);
    if (beyond_ascii(leaf) || !selection.contains(e.path)) continue;
    auto folder = folders.find(util::parent_path(e.path));
    if (folder == folders.end()) continue;
    const int64_t same = trial.find(folder->second, leaf);
    if (same >= 0) groups.join(made[static_cast<size_t>(same)], e.path);
  }
}

// The NameTrial of a real target: each name made is a file holding its index.
class FolderTrial : public NameTrial {
 public:
  explicit FolderTrial(const std::string& target) {
    root_ = target + "/" + kProbe + "names-" + std::to_string(::getpid());
    io::remove_tree(root_);  // left by a restore that was killed: its names would mislead
    if (::mkdir(root_.c_str(), 0700) != 0) {
      throw_errno("cannot make a scratch folder on the target to try names in: " + root_, errno);
    }
    fd_ = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd_ < 0) throw_errno("cannot open " + root_, errno);
  }
  ~FolderTrial() override {
    for (const std::string& name : made_) ::unlinkat(fd_, name.c_str(), 0);
    for (uint64_t f = 0; f < subfolders_; ++f) {
      ::unlinkat(fd_, std::to_string(f).c_str(), AT_REMOVEDIR);
    }
    ::close(fd_);
    ::rmdir(root_.c_str());
  }

  int64_t make(uint64_t folder, const std::string& name, int64_t index) override {
    for (; subfolders_ <= folder; ++subfolders_) {
      if (::mkdirat(fd_, std::to_string(subfolders_).c_str(), 0700) != 0 && errno != EEXIST) {
        throw_errno("cannot make a folder in " + root_, errno);
      }
    }
    const std::string path = std::to_string(folder) + "/" + name;
    int fd = ::openat(fd_, path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return errno == EEXIST ? find(folder, name) : -1;
    made_.push_back(path);
    const bool written = ::write(fd, &index, sizeof index) == sizeof index;
    ::close(fd);
    if (!written) throw_errno("cannot write in " + root_, errno);
    return -1;
  }

  int64_t find(uint64_t folder, const std::string& name) override {
    const std::string path = std::to_string(folder) + "/" + name;
    int fd = ::openat(fd_, path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    int64_t index = -1;
    const bool read = ::read(fd, &index, sizeof index) == sizeof index;
    ::close(fd);
    return read ? index : -1;
  }

 private:
  std::string root_;
  int fd_ = -1;
  uint64_t subfolders_ = 0;
  std::vector<std::string> made_;
};

// Probe names left in the target by a restore killed while probing: ferry's own, and in
// the way of the check that the target is empty.
void remove_leftover_probes(const std::string& target) {
  std::vector<std::string> left;
  {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(target.c_str()), &::closedir);
    if (!dir) return;
    while (const dirent* e = ::readdir(dir.get())) {
      if (std::strncmp(e->d_name, kProbe, std::strlen(kProbe)) == 0) left.push_back(e->d_name);
    }
  }
  for (const std::string& name : left) io::remove_tree(target + "/" + name);
}

}  // namespace

std::unique_ptr<NameTrial> name_trial_in(const std::string& target) {
  return std::make_unique<FolderTrial>(target);
}

std::string fold_ascii(std::string name) {
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return name;
}

TargetNames probe_target_names(const std::string& target, const std::string& bytes, bool non_utf8) {
  remove_leftover_probes(target);
  int dirfd = ::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) throw_errno("cannot open target " + target, errno);
  TargetNames t;
  // A folder that takes no plain name tells nothing (writing there fails later anyway).
  if (!holds(dirfd, std::string(kProbe) + "plain")) {
    ::close(dirfd);
    return t;
  }
  for (char c : bytes) {
    if (!holds(dirfd, std::string(kProbe) + c + "x")) t.refused += c;
  }
  t.refuses_non_utf8 = non_utf8 && !holds(dirfd, std::string(kProbe) + "\xff" + "x");
  const std::string probe(kProbe);
  t.folds_case = same_name(dirfd, probe + "Ab", probe + "aB");
  t.drops_trailing = same_name(dirfd, probe + "t.", probe + "t");
  t.normalizes = same_name(dirfd, probe + "\xc3\xa9", probe + "e\xcc\x81");  // é, e + U+0301
  ::close(dirfd);
  return t;
}

std::pair<std::string, bool> bytes_to_probe(format::Catalog& catalog, const Selection& selection) {
  bool seen[256] = {};
  bool non_utf8 = false;
  {
    auto cursor = catalog.entries();
    format::Entry e;
    while (cursor.next(e)) {
      if (!selection.contains(e.path)) continue;
      const std::string leaf = leaf_of(e.path);
      for (char c : leaf) seen[static_cast<unsigned char>(c)] = true;
      non_utf8 = non_utf8 || !is_utf8(leaf);
    }
  }
  std::string bytes;
  for (int c = 1; c < 128; ++c) {
    if (seen[c] && !plain(static_cast<unsigned char>(c)) && c != '/') bytes += static_cast<char>(c);
  }
  return {bytes, non_utf8};
}

NameCheck check_target_names(const TargetNames& t, format::Catalog& catalog, Selection& selection,
                             size_t max_groups, NameTrial* trial) {
  NameCheck check;
  {
    auto cursor = catalog.entries();
    format::Entry e;
    while (cursor.next(e)) {
      if (!selection.contains(e.path)) continue;
      const std::string leaf = leaf_of(e.path);
      std::string why;
      const size_t bad = t.refused.empty() ? std::string::npos : leaf.find_first_of(t.refused);
      if (bad != std::string::npos) {
        why = "the target cannot hold a name with " + byte_shown(leaf[bad]);
      } else if (t.refuses_non_utf8 && !is_utf8(leaf)) {
        why = "the target cannot hold a name that is not UTF-8";
      } else if (t.drops_trailing && (leaf.back() == '.' || leaf.back() == ' ')) {
        why = "the target drops a name's trailing dot or space";
      }
      if (why.empty()) continue;
      check.unholdable.emplace_back(e.path, why + "; not restored");
      selection.exclude(e.path);
    }
  }
  if (!check.unholdable.empty()) {
    // What lies below a folder left out goes with it: each entry said, none in silence.
    std::unordered_map<std::string, std::string> left_out(check.unholdable.begin(),
                                                          check.unholdable.end());
    auto cursor = catalog.entries();
    format::Entry e;
    std::vector<std::pair<std::string, std::string>> below;
    while (cursor.next(e)) {
      if (selection.contains(e.path) || left_out.count(e.path)) continue;
      for (std::string up = util::parent_path(e.path); !up.empty(); up = util::parent_path(up)) {
        if (left_out.count(up)) {
          below.emplace_back(e.path, "not restored: it lies in " + util::shown(up) +
                                         ", a name the target cannot hold");
          break;
        }
      }
    }
    for (auto& b : below) check.unholdable.push_back(std::move(b));
  }
  Groups groups;
  if (t.folds_case) group_ascii_case(catalog, selection, groups);
  if (trial && (t.folds_case || t.normalizes)) group_by_trial(*trial, catalog, selection, groups);
  for (auto& group : groups.list) {
    if (group.empty()) continue;
    if (check.collisions.size() < max_groups) check.collisions.push_back(std::move(group));
    ++check.collision_groups;
  }
  return check;
}

std::string Renames::apply(const std::string& path) const {
  if (leaves_.empty()) return path;
  std::string out;
  for (size_t begin = 0;;) {
    const size_t end = path.find('/', begin);
    const std::string prefix = path.substr(0, end);
    auto it = leaves_.find(prefix);
    const std::string leaf = it != leaves_.end()
                                 ? it->second
                                 : path.substr(begin, end == std::string::npos ? end : end - begin);
    out += (out.empty() && begin == 0 ? "" : "/") + leaf;
    if (end == std::string::npos) return out;
    begin = end + 1;
  }
}

Renames rename_collisions(const NameCheck& check, format::Catalog& catalog,
                          std::vector<std::pair<std::string, std::string>>& renamed) {
  Renames renames;
  std::unordered_set<std::string> taken;  // folded paths given out
  format::Catalog::Query exists(
      catalog, "SELECT 1 FROM entries WHERE lower(CAST(path AS TEXT)) = lower(?1) LIMIT 1",
      "names equal but for case");
  auto free_name = [&](const std::string& path) {
    if (taken.count(fold_ascii(path))) return false;
    return !exists.bind(1, path).next();
  };
  for (const auto& group : check.collisions) {
    for (size_t i = 1; i < group.size(); ++i) {
      const std::string& path = group[i];
      const std::string folder = util::parent_path(path);
      const std::string leaf = leaf_of(path);
      const size_t dot = leaf.rfind('.');
      const bool has_extension = dot != std::string::npos && dot > 0;
      const std::string stem = has_extension ? leaf.substr(0, dot) : leaf;
      const std::string extension = has_extension ? leaf.substr(dot) : "";
      for (int n = 2;; ++n) {
        const std::string candidate = stem + " (" + std::to_string(n) + ")" + extension;
        const std::string full = folder.empty() ? candidate : folder + "/" + candidate;
        if (!free_name(full)) continue;
        taken.insert(fold_ascii(full));
        renames.add(path, candidate);
        renamed.emplace_back(path, full);
        break;
      }
    }
  }
  return renames;
}

}  // namespace ferry::read

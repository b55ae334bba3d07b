#include "read/target_names.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <unordered_set>

#include "ferry/error.h"
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

}  // namespace

std::string fold_ascii(std::string name) {
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return name;
}

TargetNames probe_target_names(const std::string& target, const std::string& bytes, bool non_utf8) {
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
  // Case: create one spelling, look for the other.
  const std::string upper = std::string(kProbe) + "Ab", lower = std::string(kProbe) + "aB";
  int fd =
      ::openat(dirfd, upper.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    struct stat st;
    t.folds_case = ::fstatat(dirfd, lower.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    ::unlinkat(dirfd, upper.c_str(), 0);
  }
  // A trailing dot: made with one, is it there without?
  const std::string dotted = std::string(kProbe) + "t.", bare = std::string(kProbe) + "t";
  fd = ::openat(dirfd, dotted.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    struct stat st;
    t.drops_trailing = ::fstatat(dirfd, bare.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    ::unlinkat(dirfd, dotted.c_str(), 0);
    ::unlinkat(dirfd, bare.c_str(), 0);
  }
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
                             size_t max_groups) {
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
  if (!t.folds_case) return check;

  // Paths equal but for case, grouped; a group counts when two of its names share a
  // folder (names below two folders that collide are that folders' collision).
  format::Catalog::Query paths(
      catalog,
      "SELECT path FROM entries WHERE lower(CAST(path AS TEXT)) IN"
      " (SELECT lower(CAST(path AS TEXT)) FROM entries GROUP BY 1 HAVING count(*) > 1)"
      " ORDER BY lower(CAST(path AS TEXT)), id",
      "names equal but for case");
  std::vector<std::string> group;
  std::string key;
  auto close_group = [&] {
    std::map<std::string, int> per_folder;
    bool shared = false;
    for (const std::string& p : group) shared = ++per_folder[util::parent_path(p)] > 1 || shared;
    if (group.size() > 1 && shared) {
      if (check.collisions.size() < max_groups) check.collisions.push_back(group);
      ++check.collision_groups;
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

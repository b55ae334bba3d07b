#include "support/full_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <vector>

namespace ferry::test {
namespace {

struct Seen {
  struct stat st;
  std::string target;                         // symbolic link
  std::map<std::string, std::string> xattrs;  // by name
};

std::map<std::string, std::string> xattrs_of(const std::string& path) {
  std::map<std::string, std::string> out;
  std::string names(65536, '\0');
  ssize_t n = ::llistxattr(path.c_str(), names.data(), names.size());
  for (ssize_t at = 0; n > 0 && at < n;) {
    std::string name(names.c_str() + at);
    at += static_cast<ssize_t>(name.size()) + 1;
    std::string value(65536, '\0');
    ssize_t len = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (len >= 0) out[name] = value.substr(0, static_cast<size_t>(len));
  }
  return out;
}

void walk(const std::string& root, const std::string& rel, std::map<std::string, Seen>& out) {
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) names.emplace_back(e->d_name);
  }
  ::closedir(d);
  for (const std::string& name : names) {
    const std::string child = rel.empty() ? name : rel + "/" + name;
    const std::string path = root + "/" + child;
    Seen s;
    if (::lstat(path.c_str(), &s.st) != 0) continue;
    if (S_ISLNK(s.st.st_mode)) {
      s.target.resize(4096);
      ssize_t n = ::readlink(path.c_str(), s.target.data(), s.target.size());
      s.target.resize(n > 0 ? static_cast<size_t>(n) : 0);
    }
    s.xattrs = xattrs_of(path);
    out[child] = s;
    if (S_ISDIR(s.st.st_mode)) walk(root, child, out);
  }
}

// The data regions of a file, [start, end) each, as SEEK_DATA and SEEK_HOLE find them.
std::vector<std::pair<off_t, off_t>> data_regions(int fd) {
  std::vector<std::pair<off_t, off_t>> regions;
  for (off_t at = 0;;) {
    const off_t data = ::lseek(fd, at, SEEK_DATA);
    if (data < 0) break;  // ENXIO: no data past `at`
    const off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole <= data) break;
    regions.emplace_back(data, hole);
    at = hole;
  }
  return regions;
}

// Equal bytes from `from` to `to` in both files.
bool same_range(int fa, int fb, off_t from, off_t to) {
  std::vector<char> ba(1 << 20), bb(1 << 20);
  for (off_t at = from; at < to;) {
    const size_t want = static_cast<size_t>(std::min<off_t>(to - at, static_cast<off_t>(ba.size())));
    const ssize_t na = ::pread(fa, ba.data(), want, at), nb = ::pread(fb, bb.data(), want, at);
    if (na != nb || na <= 0 || std::memcmp(ba.data(), bb.data(), static_cast<size_t>(na)) != 0) {
      return false;
    }
    at += na;
  }
  return true;
}

// Holes read as zeros: where both files have their holes in the same places only the
// data is compared (a 5 GiB sparse file in an instant), else every byte.
bool same_content(const std::string& a, const std::string& b) {
  int fa = ::open(a.c_str(), O_RDONLY), fb = ::open(b.c_str(), O_RDONLY);
  struct stat sa{}, sb{};
  bool same = fa >= 0 && fb >= 0 && ::fstat(fa, &sa) == 0 && ::fstat(fb, &sb) == 0 &&
              sa.st_size == sb.st_size;
  if (same) {
    const auto regions = data_regions(fa);
    if (regions == data_regions(fb)) {
      for (const auto& [from, to] : regions) same = same && same_range(fa, fb, from, to);
    } else {
      same = same_range(fa, fb, 0, sa.st_size);
    }
  }
  if (fa >= 0) ::close(fa);
  if (fb >= 0) ::close(fb);
  return same;
}

int64_t mtime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// The names of each file with several, as sets of paths.
std::set<std::set<std::string>> link_groups(const std::map<std::string, Seen>& tree) {
  std::map<ino_t, std::set<std::string>> by_inode;
  for (auto& [path, s] : tree) {
    if (S_ISREG(s.st.st_mode) && s.st.st_nlink > 1) by_inode[s.st.st_ino].insert(path);
  }
  std::set<std::set<std::string>> groups;
  for (auto& [ino, names] : by_inode) groups.insert(names);
  return groups;
}

}  // namespace

std::string compare_trees_fully(const std::string& expected_root, const std::string& actual_root) {
  std::map<std::string, Seen> want, got;
  walk(expected_root, "", want);
  walk(actual_root, "", got);
  std::string out;
  auto differ = [&](const std::string& path, const std::string& what) {
    out += path + ": " + what + "\n";
  };
  for (auto& [path, w] : want) {
    auto it = got.find(path);
    if (it == got.end()) {
      differ(path, "missing");
      continue;
    }
    const Seen& g = it->second;
    if ((w.st.st_mode & S_IFMT) != (g.st.st_mode & S_IFMT)) {
      differ(path, "type differs");
      continue;
    }
    if (!S_ISLNK(w.st.st_mode) && (w.st.st_mode & 07777) != (g.st.st_mode & 07777)) {
      differ(path, "mode " + std::to_string(w.st.st_mode & 07777) + " became " +
                       std::to_string(g.st.st_mode & 07777));
    }
    if (w.st.st_uid != g.st.st_uid || w.st.st_gid != g.st.st_gid) {
      differ(path, "owner " + std::to_string(w.st.st_uid) + ":" + std::to_string(w.st.st_gid) +
                       " became " + std::to_string(g.st.st_uid) + ":" +
                       std::to_string(g.st.st_gid));
    }
    if (!S_ISDIR(w.st.st_mode) && w.st.st_size != g.st.st_size) differ(path, "size differs");
    if (mtime_ns(w.st) != mtime_ns(g.st)) differ(path, "mtime differs");
    if (w.target != g.target) differ(path, "link target differs");
    if (w.xattrs != g.xattrs) {
      std::string names;
      for (auto& [name, value] : w.xattrs) {
        auto x = g.xattrs.find(name);
        if (x == g.xattrs.end() || x->second != value) names += " " + name;
      }
      for (auto& [name, value] : g.xattrs) {
        if (!w.xattrs.count(name)) names += " +" + name;
      }
      differ(path, "extended attributes differ:" + names);
    }
    if (S_ISREG(w.st.st_mode)) {
      if (!same_content(expected_root + "/" + path, actual_root + "/" + path)) {
        differ(path, "content differs");
      }
      if (g.st.st_blocks > w.st.st_blocks) {
        differ(path, "takes " + std::to_string(g.st.st_blocks * 512) + " bytes, its original " +
                         std::to_string(w.st.st_blocks * 512));
      }
    }
  }
  for (auto& [path, g] : got) {
    if (!want.count(path)) differ(path, "not in the original");
  }
  if (link_groups(want) != link_groups(got)) out += "hard links are grouped differently\n";
  return out;
}

}  // namespace ferry::test

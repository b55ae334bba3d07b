#include "support/tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <sstream>
#include <stdexcept>

#include "util/dir_chain.h"

namespace ferry::test {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

// The fd of the parent of `rel` below `root`, creating folders; caller closes it.
int open_parent(const std::string& root, const std::string& rel, std::string* leaf) {
  auto parts = util::split_path(rel);
  *leaf = parts.back();
  parts.pop_back();
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) fail("open " + root);
  for (const auto& p : parts) {
    ::mkdirat(fd, p.c_str(), 0755);
    int child = ::openat(fd, p.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    ::close(fd);
    if (child < 0) fail("open dir " + p);
    fd = child;
  }
  return fd;
}

void walk(int dirfd, const std::string& prefix, std::map<std::string, Node>& out) {
  int listfd = ::dup(dirfd);
  DIR* dir = ::fdopendir(listfd);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) names.emplace_back(e->d_name);
  }
  ::closedir(dir);
  for (const auto& name : names) {
    std::string rel = prefix.empty() ? name : prefix + "/" + name;
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail("stat " + rel);
    Node n;
    n.mode = st.st_mode & 07777;
    n.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (S_ISREG(st.st_mode)) {
      n.kind = 'f';
      int fd = ::openat(dirfd, name.c_str(), O_RDONLY);
      if (fd < 0) fail("open " + rel);
      n.content.resize(static_cast<size_t>(st.st_size));
      size_t done = 0;
      while (done < n.content.size()) {
        ssize_t r = ::read(fd, n.content.data() + done, n.content.size() - done);
        if (r <= 0) break;
        done += static_cast<size_t>(r);
      }
      ::close(fd);
    } else if (S_ISLNK(st.st_mode)) {
      n.kind = 'l';
      n.mode = 0;  // link permissions mean nothing on Linux
      n.content.resize(static_cast<size_t>(st.st_size) + 1);
      ssize_t r = ::readlinkat(dirfd, name.c_str(), n.content.data(), n.content.size());
      n.content.resize(r > 0 ? static_cast<size_t>(r) : 0);
    } else if (S_ISDIR(st.st_mode)) {
      n.kind = 'd';
      int child = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (child < 0) fail("open dir " + rel);
      walk(child, rel, out);
      ::close(child);
    } else {
      n.kind = 's';
    }
    out[rel] = n;
  }
}

}  // namespace

std::string read_whole_file(const std::string& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string random_bytes(size_t len, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(len, '\0');
  for (size_t i = 0; i < len; i += 8) {
    uint64_t v = rng();
    std::memcpy(s.data() + i, &v, std::min<size_t>(8, len - i));
  }
  return s;
}

std::string csv_text(size_t len, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s = "id,name,value,label\n";
  while (s.size() < len) {
    s += std::to_string(rng() % 100000) + ",item" + std::to_string(rng() % 500) + "," +
         std::to_string(rng() % 1000) + "." + std::to_string(rng() % 100) + ",class" +
         std::to_string(rng() % 10) + "\n";
  }
  s.resize(len);
  return s;
}

void write_file(const std::string& root, const std::string& rel, const std::string& content,
                unsigned mode) {
  std::string leaf;
  int dirfd = open_parent(root, rel, &leaf);
  int fd = ::openat(dirfd, leaf.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::close(dirfd);
  if (fd < 0) fail("create " + rel);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) fail("write " + rel);
    done += static_cast<size_t>(n);
  }
  ::fchmod(fd, mode);
  ::close(fd);
}

void make_dir(const std::string& root, const std::string& rel, unsigned mode) {
  std::string leaf;
  int dirfd = open_parent(root, rel, &leaf);
  ::mkdirat(dirfd, leaf.c_str(), 0755);
  ::fchmodat(dirfd, leaf.c_str(), mode, 0);
  ::close(dirfd);
}

std::vector<std::string> make_drives(const std::string& root, int count) {
  std::vector<std::string> drives;
  for (int i = 0; i < count; ++i) {
    const std::string name = "drive" + std::to_string(i);
    make_dir(root, name);
    drives.push_back(root + "/" + name);
  }
  return drives;
}

void make_symlink(const std::string& root, const std::string& rel, const std::string& target) {
  std::string leaf;
  int dirfd = open_parent(root, rel, &leaf);
  if (::symlinkat(target.c_str(), dirfd, leaf.c_str()) != 0) fail("symlink " + rel);
  ::close(dirfd);
}

void set_mtime(const std::string& root, const std::string& rel, int64_t sec, long nsec) {
  std::string leaf;
  int dirfd = open_parent(root, rel, &leaf);
  struct timespec t[2] = {{sec, nsec}, {sec, nsec}};
  ::utimensat(dirfd, leaf.c_str(), t, AT_SYMLINK_NOFOLLOW);
  ::close(dirfd);
}

std::map<std::string, Node> snapshot(const std::string& root) {
  std::map<std::string, Node> out;
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) fail("open " + root);
  walk(fd, "", out);
  ::close(fd);
  return out;
}

std::string compare_trees(const std::string& expected_root, const std::string& actual_root) {
  auto a = snapshot(expected_root), b = snapshot(actual_root);
  std::ostringstream diff;
  int shown = 0;
  for (const auto& [path, node] : a) {
    auto it = b.find(path);
    if (it == b.end()) {
      if (shown++ < 10) diff << "missing: " << path << "\n";
    } else if (!(it->second == node)) {
      if (shown++ < 10) {
        diff << "differs: " << path << " (kind " << node.kind << "/" << it->second.kind << ", mode "
             << node.mode << "/" << it->second.mode << ", mtime " << node.mtime_ns << "/"
             << it->second.mtime_ns << ", content " << (node.content == it->second.content ? "same" : "differs")
             << ")\n";
      }
    }
  }
  for (const auto& [path, node] : b) {
    if (!a.count(path) && shown++ < 10) diff << "extra: " << path << "\n";
  }
  return diff.str();
}

void make_odd_tree(const std::string& root, size_t unit, size_t stripe) {
  write_file(root, "plain.txt", "hello\n");
  write_file(root, "with space and  two.txt", csv_text(5000, 1));
  write_file(root, "new\nline", "newline in the name\n");
  write_file(root, std::string("latin1-\xe9t\xe9.bin"), random_bytes(333, 2));
  write_file(root, "utf8-\xc3\xa9t\xc3\xa9.txt", "utf8\n");
  write_file(root, std::string(255, 'n'), "longest name\n");
  write_file(root, "empty", "");
  write_file(root, "exec.sh", "#!/bin/sh\necho hi\n", 0755);
  write_file(root, "readonly.txt", "ro\n", 0444);
  make_dir(root, "empty-dir");
  make_dir(root, "private-dir", 0700);
  std::string deep;
  for (int i = 0; i < 60; ++i) deep += (i ? "/" : "") + std::string("d") + std::to_string(i);
  write_file(root, deep + "/bottom.txt", "sixty folders down\n");
  make_dir(root, deep + "/empty-at-bottom");
  make_symlink(root, "link-to-plain", "plain.txt");
  make_symlink(root, "link-dangling", "does/not/exist");
  make_symlink(root, "link-absolute", "/etc/hostname");
  make_symlink(root, "link-dir", "d0/d1");
  size_t sizes[] = {1, unit - 1, unit, unit + 1, stripe - 1, stripe, stripe + 1, 2 * stripe + 7};
  uint64_t seed = 10;
  for (size_t s : sizes) {
    write_file(root, "sizes/raw-" + std::to_string(s), random_bytes(s, seed++));
    write_file(root, "sizes/csv-" + std::to_string(s), csv_text(s, seed++));
  }
  write_file(root, "sizes/big-compressible.csv", csv_text(3 * 1024 * 1024 + 5, 99));
  write_file(root, "sizes/big-random.bin", random_bytes(2 * 1024 * 1024 + 3, 98));
  // Distinct nanosecond mtimes; folders last so writing into them does not reset them.
  set_mtime(root, "plain.txt", 1600000000, 123456789);
  set_mtime(root, "link-to-plain", 1500000000, 5);
  set_mtime(root, "empty-dir", 1400000000, 999999999);
  set_mtime(root, "sizes", 1300000000, 1);
}

std::vector<std::string> all_file_paths(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& [path, node] : snapshot(root)) {
    if (node.kind == 'f') out.push_back(root + "/" + path);
  }
  return out;
}

}  // namespace ferry::test

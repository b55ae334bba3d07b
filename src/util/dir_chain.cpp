#include "util/dir_chain.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "ferry/error.h"

namespace ferry::util {

std::vector<std::string> split_path(const std::string& rel) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= rel.size()) {
    size_t slash = rel.find('/', start);
    if (slash == std::string::npos) slash = rel.size();
    parts.push_back(rel.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

DirChain::DirChain(const std::string& root) : root_(root) {
  root_fd_ = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0) throw_errno("cannot open directory " + root, errno);
}

DirChain::~DirChain() {
  truncate_to(0);
  ::close(root_fd_);
}

void DirChain::truncate_to(size_t depth) {
  while (fds_.size() > depth) {
    ::close(fds_.back());
    fds_.pop_back();
    names_.pop_back();
  }
}

int DirChain::parent_of(const std::string& rel, std::string* leaf, bool create) {
  std::vector<std::string> parts = split_path(rel);
  *leaf = parts.back();
  parts.pop_back();
  size_t common = 0;
  while (common < parts.size() && common < names_.size() && parts[common] == names_[common]) {
    ++common;
  }
  truncate_to(common);
  for (size_t i = common; i < parts.size(); ++i) {
    int parent = fds_.empty() ? root_fd_ : fds_.back();
    const std::string& name = parts[i];
    int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(parent, name.c_str(), 0755) != 0 && errno != EEXIST) {
        throw_errno("cannot create directory " + root_ + "/" + rel, errno);
      }
      fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      int err = errno;
      if (err == ELOOP || err == ENOTDIR) {
        throw Error(ErrorKind::kUnsafePath, "a component of " + rel +
                                                " is a symbolic link or not a directory; refusing "
                                                "to go through it");
      }
      throw_errno("cannot open the directory of " + root_ + "/" + rel, err);
    }
    fds_.push_back(fd);
    names_.push_back(name);
  }
  return fds_.empty() ? root_fd_ : fds_.back();
}

}  // namespace ferry::util

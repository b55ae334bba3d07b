// Opens paths below a root one component at a time with openat(O_NOFOLLOW): no
// PATH_MAX limit applies however deep the tree, and no symbolic link on the way is
// ever followed. Keeps the chain of the last call open, so siblings cost nothing.
#pragma once

#include <string>
#include <vector>

namespace ferry::util {

class DirChain {
 public:
  // `root` must be an existing directory; it is opened once and held.
  explicit DirChain(const std::string& root);
  ~DirChain();
  DirChain(const DirChain&) = delete;
  DirChain& operator=(const DirChain&) = delete;

  // The fd of the directory holding `rel` ('/'-separated, relative), and its last
  // component in `leaf`. With `create`, missing directories are made (mode 0755 until
  // restore sets the real mode). Throws kUnsafePath when a component is a symbolic link
  // or not a directory, kIO on other failures. The fd stays valid until the next call.
  int parent_of(const std::string& rel, std::string* leaf, bool create);

  int root_fd() const { return root_fd_; }
  const std::string& root() const { return root_; }

 private:
  void truncate_to(size_t depth);
  std::string root_;
  int root_fd_;
  std::vector<std::string> names_;  // components of the open chain
  std::vector<int> fds_;            // fds_[i] is the directory names_[0..i]
};

// Splits a relative path into components.
std::vector<std::string> split_path(const std::string& rel);

}  // namespace ferry::util

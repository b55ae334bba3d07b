// Which entries of a shipment a restore covers: everything, or the files and folders
// named with --only (a folder brings everything below it).
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

namespace ferry::read {

class Selection {
 public:
  // Paths as the user wrote them; "./a/b/" means "a/b". No paths: everything.
  explicit Selection(const std::vector<std::string>& only);
  bool everything() const { return roots_.empty(); }
  bool contains(const std::string& path) const;
  // Leaves `path` out, and everything below it: an entry the target cannot hold.
  void exclude(const std::string& path) { excluded_.insert(path); }
  const std::vector<std::string>& roots() const { return roots_; }

 private:
  std::vector<std::string> roots_;
  std::unordered_set<std::string> excluded_;
};

}  // namespace ferry::read

// Which entries of a shipment a restore covers: everything, or the files and folders
// named with --only (a folder brings everything below it).
#pragma once

#include <string>
#include <vector>

namespace ferry::read {

class Selection {
 public:
  // Paths as the user wrote them; "./a/b/" means "a/b". No paths: everything.
  explicit Selection(const std::vector<std::string>& only);
  bool everything() const { return roots_.empty(); }
  bool contains(const std::string& path) const;
  const std::vector<std::string>& roots() const { return roots_; }

 private:
  std::vector<std::string> roots_;
};

}  // namespace ferry::read

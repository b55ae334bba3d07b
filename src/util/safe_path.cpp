#include "util/safe_path.h"

#include <climits>

#include "util/dir_chain.h"

namespace ferry::util {

bool is_safe_relative_path(const std::string& path, std::string* why) {
  if (path.empty()) {
    *why = "empty path";
    return false;
  }
  if (path.find('\0') != std::string::npos) {
    *why = "NUL byte in path";
    return false;
  }
  if (path[0] == '/') {
    *why = "absolute path";
    return false;
  }
  for (const std::string& part : split_path(path)) {
    if (part.empty() || part == "." || part == "..") {
      *why = "'" + part + "' component";
      return false;
    }
    if (part.size() > NAME_MAX) {
      *why = "component longer than a file name may be";
      return false;
    }
  }
  return true;
}

std::string parent_path(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace ferry::util

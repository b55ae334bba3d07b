#include "read/selection.h"

namespace ferry::read {

static std::string normalise(std::string p) {
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '/' && (out.empty() || out.back() == '/')) continue;
    out += p[i];
  }
  while (out.rfind("./", 0) == 0) out.erase(0, 2);
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (out == ".") out.clear();
  return out;
}

Selection::Selection(const std::vector<std::string>& only) {
  for (const std::string& p : only) {
    std::string n = normalise(p);
    if (n.empty()) {
      roots_.clear();  // "." selects everything
      return;
    }
    roots_.push_back(n);
  }
}

bool Selection::contains(const std::string& path) const {
  if (!excluded_.empty()) {
    for (size_t end = path.find('/'); ; end = path.find('/', end + 1)) {
      if (excluded_.count(end == std::string::npos ? path : path.substr(0, end))) return false;
      if (end == std::string::npos) break;
    }
  }
  if (roots_.empty()) return true;
  for (const std::string& r : roots_) {
    if (path.size() >= r.size() && path.compare(0, r.size(), r) == 0 &&
        (path.size() == r.size() || path[r.size()] == '/')) {
      return true;
    }
  }
  return false;
}

}  // namespace ferry::read

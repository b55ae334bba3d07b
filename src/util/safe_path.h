// Whether a catalog path may be used below a restore target: relative, no empty, "."
// or ".." component, no NUL, no component longer than a file name may be.
#pragma once

#include <string>

namespace ferry::util {

bool is_safe_relative_path(const std::string& path, std::string* why);

// "a/b/c" -> "a/b"; "a" -> "".
std::string parent_path(const std::string& path);

}  // namespace ferry::util

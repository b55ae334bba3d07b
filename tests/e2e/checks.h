// Small checks shared by the end-to-end tests: what is (not) on disk after a command.
#pragma once

#include <dirent.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "support/tree.h"

namespace ferry::test {

inline bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// The names directly inside `dir` (empty when it does not exist).
inline std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) names.insert(e->d_name);
  }
  ::closedir(d);
  return names;
}

// "" when `dir` is missing or empty, else what is in it (for failure messages).
inline std::string nothing_in(const std::string& dir) {
  if (!path_exists(dir)) return "";
  std::string listing;
  for (const auto& [path, node] : snapshot(dir)) listing += path + "\n";
  return listing;
}

inline std::string read_all(const std::string& path) { return read_whole_file(path); }

}  // namespace ferry::test

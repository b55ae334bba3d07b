// Building source trees for tests and comparing trees byte- and metadata-exact.
// Paths are raw bytes; everything goes through *at() calls so no PATH_MAX applies.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ferry::test {

// Deterministic pseudo-random bytes (incompressible) for a seed.
std::string random_bytes(size_t len, uint64_t seed);
// Compressible text, like a CSV sheet.
std::string csv_text(size_t len, uint64_t seed);

// Creates a file (and its parent folders) below `root` with `content`.
// The whole file at `path` ("" when it cannot be read), in large reads.
std::string read_whole_file(const std::string& path);
void write_file(const std::string& root, const std::string& rel, const std::string& content,
                unsigned mode = 0644);
void make_dir(const std::string& root, const std::string& rel, unsigned mode = 0755);
void make_symlink(const std::string& root, const std::string& rel, const std::string& target);
// `count` empty folders root/drive0, root/drive1, ... to pack onto; returns their paths.
std::vector<std::string> make_drives(const std::string& root, int count);
void set_mtime(const std::string& root, const std::string& rel, int64_t sec, long nsec);

struct Node {
  char kind = '?';  // 'f', 'd', 'l'
  unsigned mode = 0;
  int64_t mtime_ns = 0;
  std::string content;  // file bytes or link target
  bool operator==(const Node&) const = default;
};
// Every entry below `root` (not root itself), by relative path.
std::map<std::string, Node> snapshot(const std::string& root);

// Empty string when equal, else a description of the first differences.
std::string compare_trees(const std::string& expected_root, const std::string& actual_root);

// A tree with every entry kind and odd names: spaces, newline, non-UTF-8 bytes,
// 255-byte names, a 60-deep path, empty files and directories, and files at and around
// the unit and stripe boundaries of `unit_plain` and `stripe_plain` bytes.
void make_odd_tree(const std::string& root, size_t unit_plain, size_t stripe_plain);

// All bytes of all files below `root`, concatenated (for "no name in clear" checks).
std::vector<std::string> all_file_paths(const std::string& root);

}  // namespace ferry::test

// Names the target's file system cannot hold, or would make one: found by trying in the
// target before anything is written. exFAT, FAT32 and NTFS refuse `\ : * ? " < > |` and
// control characters, may refuse bytes that are not UTF-8, drop a trailing dot or
// space, and fold case, so that `Case.txt` and `case.txt` would be one file.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "format/catalog.h"
#include "read/selection.h"

namespace ferry::read {

struct TargetNames {
  bool folds_case = false;        // `Ab` and `aB` name one file
  bool drops_trailing = false;    // `a.` is taken as `a`
  bool refuses_non_utf8 = false;  // a name that is not UTF-8 cannot be created
  std::string refused;            // ASCII bytes no name can hold there
};

// Tries, in the folder `target` (which exists), names with each byte in `bytes`, one not
// UTF-8 when `non_utf8`, and the case and trailing-dot probes; removes what it made.
TargetNames probe_target_names(const std::string& target, const std::string& bytes, bool non_utf8);

struct NameCheck {
  // Entries the target cannot hold, with why; raw paths, in catalog order.
  std::vector<std::pair<std::string, std::string>> unholdable;
  // Names of one folder that would be one name on the target, by group; the first
  // `max_groups`, and how many groups there are.
  std::vector<std::vector<std::string>> collisions;
  uint64_t collision_groups = 0;
};

// The bytes outside letters, digits, `.-_` that the selected entries' names use, and
// whether one is not UTF-8: what probe_target_names() needs to try.
std::pair<std::string, bool> bytes_to_probe(format::Catalog& catalog, const Selection& selection);

// Checks the selected entries' names against what the target holds. Entries it cannot
// hold are left out of `selection`, with everything below them.
NameCheck check_target_names(const TargetNames& target, format::Catalog& catalog,
                             Selection& selection, size_t max_groups = 10);

// ASCII lower case, as the collision check folds names (bytes above 127 are kept).
std::string fold_ascii(std::string name);

// New names for entries whose names collide on the target, for a restore asked to keep
// them apart: the first of each group keeps its name.
class Renames {
 public:
  void add(const std::string& path, const std::string& new_leaf) { leaves_[path] = new_leaf; }
  bool empty() const { return leaves_.empty(); }
  // `path` with each renamed component (its own, or a folder's above it) replaced.
  std::string apply(const std::string& path) const;

 private:
  std::unordered_map<std::string, std::string> leaves_;  // by the entry's own path
};

// Renames every entry of `check`'s groups but the first: " (2)", " (3)" … before its
// extension, to a name that no entry of the catalog has, case folded. `check` must hold
// every group (max_groups large enough). Returns the new names, and each renamed entry
// with its new path in `renamed`.
Renames rename_collisions(const NameCheck& check, format::Catalog& catalog,
                          std::vector<std::pair<std::string, std::string>>& renamed);

}  // namespace ferry::read

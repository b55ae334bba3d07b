// Names the target's file system cannot hold, or would make one: found by trying in the
// target before anything is written. exFAT, FAT32 and NTFS refuse `\ : * ? " < > |` and
// control characters, may refuse bytes that are not UTF-8, drop a trailing dot or
// space, and fold case, so that `Case.txt` and `case.txt` would be one file. Some fold
// more: `É` and `é` (exFAT's upcase table, ext4 casefold), or `é` written as one code
// point and as `e` with a combining accent (ext4 casefold, APFS, HFS+). Which names
// such a target takes as one is asked of the target itself, by making them in a
// scratch folder there: its own tables decide, whatever Unicode version they follow.
#pragma once

#include <cstdint>
#include <memory>
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
  bool normalizes = false;        // `é` as U+00E9 and as `e` U+0301 name one file
  std::string refused;            // ASCII bytes no name can hold there
};

// A scratch folder on the target where names are made to see which of them the target
// takes as one. Names are made in numbered subfolders, one per folder of the shipment.
class NameTrial {
 public:
  virtual ~NameTrial() = default;
  // Makes `name` in subfolder `folder`, marked `index`. Returns the index of a name made
  // before that the target takes `name` for, or -1 when it made a new one (or could not).
  virtual int64_t make(uint64_t folder, const std::string& name, int64_t index) = 0;
  // The index of the name made in `folder` that the target takes `name` for, or -1.
  virtual int64_t find(uint64_t folder, const std::string& name) = 0;
};

// A NameTrial in a new hidden folder of `target`, removed with all it holds when the
// trial is destroyed.
std::unique_ptr<NameTrial> name_trial_in(const std::string& target);

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
// hold are left out of `selection`, with everything below them. Names equal but for ASCII
// case are compared here; on a target that folds case or normalizes, names with bytes
// beyond ASCII are tried in `trial` (when given), with the plain names of their folders.
NameCheck check_target_names(const TargetNames& target, format::Catalog& catalog,
                             Selection& selection, size_t max_groups = 10,
                             NameTrial* trial = nullptr);

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

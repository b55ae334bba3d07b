// The later names of files with several (hard links) in a restore. Each shares its
// first name's stored bytes; when the first name is restored too, the later one is made
// a link to it once the files are written. When the first name is not restored (cut off
// by --only), the group's first name that is stands in for it: the first name's bytes
// and metadata are written there, where the stream holds them, and the others link to it.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "format/catalog.h"
#include "read/selection.h"
#include "read/target_names.h"

namespace ferry::read {

class HardLinks {
 public:
  HardLinks(format::Catalog& catalog, const Selection& selection);

  // Where names that collide on the target are restored instead (before make()). The
  // stand-ins stay catalog paths: the caller renames what it writes.
  void rename(const Renames& renames);

  // True when entry `id` is made a link after the files, rather than written.
  bool linked(int64_t id) const { return ids_.count(id) != 0; }
  // For a first name not restored whose group is: the name written in its place.
  const std::string* stand_in(int64_t id) const {
    auto it = stand_ins_.find(id);
    return it == stand_ins_.end() ? nullptr : &it->second;
  }

  struct Outcome {
    uint64_t linked = 0;
    // Names the target could not link, written as copies instead, with why.
    std::vector<std::pair<std::string, std::string>> copied;
    std::vector<std::string> lost;  // names whose first name could not be restored
  };
  // Links every later name below `target` to its first. Where a name is already there
  // as the same file, it is left; otherwise it is replaced only with `overwrite` or when
  // it holds the same content (a restore run again).
  Outcome make(const std::string& target) const;

 private:
  struct Link {
    int64_t id;
    std::string path, first;
  };
  std::vector<Link> links_;
  std::unordered_set<int64_t> ids_;
  std::unordered_map<int64_t, std::string> stand_ins_;  // by the first name's id
};

}  // namespace ferry::read

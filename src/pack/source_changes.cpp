#include "pack/source_changes.h"

#include "ferry/error.h"

namespace ferry::pack {
namespace {

// Runs `sql`, which yields paths, counting them and keeping the first few.
uint64_t count_paths(format::Catalog& catalog, const char* sql, const char* what, size_t examples,
                     std::vector<std::string>& first) {
  format::Catalog::Query paths(catalog, sql, "comparison with the source");
  uint64_t count = 0;
  while (paths.next()) {
    ++count;
    if (first.size() < examples) first.push_back(paths.bytes(0) + " (" + what + ")");
  }
  return count;
}

}  // namespace

SourceChanges compare_with_walk(format::Catalog& shipped, const std::string& walked_path,
                                size_t examples) {
  shipped.attach(walked_path, "walked");
  SourceChanges c;
  try {
    // A file's bytes are its size and mtime here, as for a pack resumed; a later name
    // of a file (link) counts as changed when it no longer is one, or the reverse.
    c.changed =
        count_paths(shipped,
                    "SELECT a.path FROM main.entries a JOIN walked.entries b USING (path)"
                    " WHERE a.kind != b.kind OR a.size != b.size OR a.mtime_ns != b.mtime_ns"
                    " OR a.mode != b.mode OR a.uid != b.uid OR a.gid != b.gid"
                    " OR a.target IS NOT b.target OR (a.link IS NULL) != (b.link IS NULL)"
                    " ORDER BY a.id",
                    "changed", examples, c.first);
    c.added = count_paths(shipped,
                          "SELECT b.path FROM walked.entries b WHERE NOT EXISTS"
                          " (SELECT 1 FROM main.entries a WHERE a.path = b.path) AND NOT EXISTS"
                          " (SELECT 1 FROM main.skipped s WHERE s.path = b.path) ORDER BY b.id",
                          "added", examples, c.first);
    c.removed = count_paths(shipped,
                            "SELECT a.path FROM main.entries a WHERE NOT EXISTS"
                            " (SELECT 1 FROM walked.entries b WHERE b.path = a.path) ORDER BY a.id",
                            "removed", examples, c.first);
  } catch (...) {
    shipped.detach("walked");
    throw;
  }
  shipped.detach("walked");
  return c;
}

}  // namespace ferry::pack

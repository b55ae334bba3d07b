#include "pack/source_changes.h"

#include "ferry/error.h"

namespace ferry::pack {
namespace {

// Runs `sql`, which yields paths, counting them and keeping the first few.
uint64_t count_paths(format::Catalog& catalog, const std::string& sql, const char* what,
                     size_t examples, std::vector<std::string>& first) {
  format::Catalog::Query paths(catalog, sql.c_str(), "comparison with the source");
  uint64_t count = 0;
  while (paths.next()) {
    ++count;
    if (first.size() < examples) first.push_back(paths.bytes(0) + " (" + what + ")");
  }
  return count;
}

// An entry's extended attributes as one value, to compare two catalogs by.
std::string xattrs_of(const char* schema, const char* entry) {
  return std::string("(SELECT group_concat(hex(name) || '=' || hex(value), ',') FROM (SELECT name,"
                     " value FROM ") + schema + ".xattrs WHERE entry = " + entry +
         " ORDER BY name, value))";
}

}  // namespace

SourceChanges compare_with_walk(format::Catalog& shipped, const std::string& walked_path,
                                size_t examples, int64_t packed_up_to) {
  shipped.attach(walked_path, "walked");
  SourceChanges c;
  const bool resuming = packed_up_to != INT64_MAX;
  const std::string packed = resuming ? " AND a.id <= " + std::to_string(packed_up_to) : "";
  // A folder's mtime moves with each file added or removed in it. For a pack to resume
  // that is no change of what it packed: files past the checkpoint are taken as they
  // are found, and one added before it counts as added.
  const std::string mtime = resuming ? " OR (a.mtime_ns != b.mtime_ns AND a.kind != 1)"
                                     : " OR a.mtime_ns != b.mtime_ns";
  try {
    // A file's bytes are its size and mtime here, as for rsync's quick check; a later
    // name of a file (link) counts as changed when it no longer is one, or the reverse;
    // extended attributes (ACLs, capabilities) count too.
    c.changed =
        count_paths(shipped,
                    "SELECT a.path FROM main.entries a JOIN walked.entries b USING (path)"
                    " WHERE (a.kind != b.kind OR a.size != b.size" + mtime +
                    " OR a.mode != b.mode OR a.uid != b.uid OR a.gid != b.gid"
                    " OR a.target IS NOT b.target OR (a.link IS NULL) != (b.link IS NULL)"
                    " OR " + xattrs_of("main", "a.id") + " IS NOT " + xattrs_of("walked", "b.id") +
                    ")" + packed + " ORDER BY a.id",
                    "changed", examples, c.first);
    c.added = count_paths(shipped,
                          "SELECT b.path FROM walked.entries b WHERE NOT EXISTS"
                          " (SELECT 1 FROM main.entries a WHERE a.path = b.path) AND NOT EXISTS"
                          " (SELECT 1 FROM main.skipped s WHERE s.path = b.path) ORDER BY b.id",
                          "added", examples, c.first);
    c.removed = count_paths(shipped,
                            "SELECT a.path FROM main.entries a WHERE NOT EXISTS"
                            " (SELECT 1 FROM walked.entries b WHERE b.path = a.path)" + packed +
                                " ORDER BY a.id",
                            "removed", examples, c.first);
  } catch (...) {
    shipped.detach("walked");
    throw;
  }
  shipped.detach("walked");
  return c;
}

}  // namespace ferry::pack

#include "pack/source_changes.h"

#include <sqlite3.h>

#include "ferry/error.h"

namespace ferry::pack {
namespace {

// Runs `sql`, which yields paths, counting them and keeping the first few.
uint64_t count_paths(sqlite3* db, const char* sql, const char* what, size_t examples,
                     std::vector<std::string>& first) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    throw Error(ErrorKind::kIO,
                std::string("cannot compare the source with the shipment: ") + sqlite3_errmsg(db));
  }
  uint64_t count = 0;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    ++count;
    if (first.size() < examples) {
      const void* p = sqlite3_column_blob(stmt, 0);
      std::string path(p ? static_cast<const char*>(p) : "",
                       static_cast<size_t>(sqlite3_column_bytes(stmt, 0)));
      first.push_back(path + " (" + what + ")");
    }
  }
  sqlite3_finalize(stmt);
  return count;
}

}  // namespace

SourceChanges compare_with_walk(format::Catalog& shipped, const std::string& walked_path,
                                size_t examples) {
  sqlite3* db = shipped.handle();
  sqlite3_stmt* attach = nullptr;
  sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS walked", -1, &attach, nullptr);
  sqlite3_bind_text(attach, 1, walked_path.c_str(), -1, SQLITE_TRANSIENT);
  const int rc = sqlite3_step(attach);
  sqlite3_finalize(attach);
  if (rc != SQLITE_DONE) {
    throw Error(ErrorKind::kIO,
                std::string("cannot compare the source with the shipment: ") + sqlite3_errmsg(db));
  }
  SourceChanges c;
  try {
    // A file's bytes are its size and mtime here, as for a pack resumed; a later name
    // of a file (link) counts as changed when it no longer is one, or the reverse.
    c.changed =
        count_paths(db,
                    "SELECT a.path FROM main.entries a JOIN walked.entries b USING (path)"
                    " WHERE a.kind != b.kind OR a.size != b.size OR a.mtime_ns != b.mtime_ns"
                    " OR a.mode != b.mode OR a.uid != b.uid OR a.gid != b.gid"
                    " OR a.target IS NOT b.target OR (a.link IS NULL) != (b.link IS NULL)"
                    " ORDER BY a.id",
                    "changed", examples, c.first);
    c.added = count_paths(db,
                          "SELECT b.path FROM walked.entries b WHERE NOT EXISTS"
                          " (SELECT 1 FROM main.entries a WHERE a.path = b.path) AND NOT EXISTS"
                          " (SELECT 1 FROM main.skipped s WHERE s.path = b.path) ORDER BY b.id",
                          "added", examples, c.first);
    c.removed = count_paths(db,
                            "SELECT a.path FROM main.entries a WHERE NOT EXISTS"
                            " (SELECT 1 FROM walked.entries b WHERE b.path = a.path) ORDER BY a.id",
                            "removed", examples, c.first);
  } catch (...) {
    sqlite3_exec(db, "DETACH DATABASE walked", nullptr, nullptr, nullptr);
    throw;
  }
  sqlite3_exec(db, "DETACH DATABASE walked", nullptr, nullptr, nullptr);
  return c;
}

}  // namespace ferry::pack

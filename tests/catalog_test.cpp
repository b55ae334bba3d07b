// The version the walk saw of each file (ctime, inode), which pack reads it as first:
// catalogs written before it was recorded lack those columns, readers never ask for
// them, and a pack resumed from such a working catalog adds them, empty, so that its
// files are read as they are now. Once a file is packed its row drops them.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "format/catalog.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

// The schema before the version columns, with one file in it.
void write_catalog_without_versions(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* sql = R"sql(
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE entries(id INTEGER PRIMARY KEY, path BLOB NOT NULL UNIQUE,
      kind INTEGER NOT NULL, mode INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
      size INTEGER NOT NULL, sha256 BLOB, target BLOB, offset INTEGER, stored INTEGER,
      encoding INTEGER, frames BLOB);
    CREATE TABLE skipped(path BLOB NOT NULL, reason TEXT NOT NULL);
    INSERT INTO entries(path, kind, mode, mtime_ns, size, sha256, target, offset, stored,
      encoding, frames) VALUES (CAST('old' AS BLOB), 0, 420, 1, 5, zeroblob(32), x'', 0, 0,
      0, x'');
  )sql";
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
}

TEST(Catalog, OneWithoutVersionColumnsIsReadAndResumedWithoutThem) {
  TempDir dir;
  const std::string path = dir / "catalog.db";
  write_catalog_without_versions(path);
  format::Entry e;
  {
    format::Catalog shipped = format::Catalog::open_readonly(path);
    auto cursor = shipped.entries();
    ASSERT_TRUE(cursor.next(e));
    EXPECT_EQ(e.path, "old");
    EXPECT_EQ(e.size, 5u);
  }

  format::Catalog working = format::Catalog::open_readwrite(path);
  {
    auto cursor = working.entries_to_pack(0);
    ASSERT_TRUE(cursor.next(e));
    EXPECT_EQ(e.path, "old");
    EXPECT_EQ(e.inode, 0u);  // not known: read it as it is now
  }
  format::Entry added;
  added.path = "new";
  added.ctime_ns = 123456789;
  added.inode = 42;
  working.add(added);
  auto cursor = working.entries_to_pack(e.id);
  ASSERT_TRUE(cursor.next(e));
  EXPECT_EQ(e.path, "new");
  EXPECT_EQ(e.ctime_ns, 123456789);
  EXPECT_EQ(e.inode, 42u);

  EXPECT_NO_THROW(format::Catalog::open_readwrite(path));  // the columns are there now
}

// Only files still to pack need the version the walk saw: once a file's data is set,
// its row drops it, and the catalog shipped carries none.
TEST(Catalog, AFilesWalkVersionGoesOnceItIsPacked) {
  TempDir dir;
  format::Catalog catalog = format::Catalog::create(dir / "catalog.db");
  format::Entry e;
  e.path = "f";
  e.size = 3;
  e.ctime_ns = 123456789;
  e.inode = 42;
  e.id = catalog.add(e);
  e.offset = 7;
  e.stored = 3;
  catalog.set_file_data(e);
  format::Entry read;
  auto cursor = catalog.entries_to_pack(0);
  ASSERT_TRUE(cursor.next(read));
  EXPECT_EQ(read.offset, 7u);
  EXPECT_EQ(read.inode, 0u);
  EXPECT_EQ(read.ctime_ns, 0);
}

}  // namespace
}  // namespace ferry::test

// The version the walk saw of each file (ctime, inode), which pack reads it as first.
// Once a file is packed its row drops them.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "ferry/error.h"
#include "format/catalog.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

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

// A shipment's decrypted catalog opens immutable, through a URI: a path holding what a
// URI gives a meaning (%, ?, #) or a space still names the same file, and look-ups by
// path and by id find the same entry.
TEST(Catalog, OpensImmutableFromAPathAUriWouldMisread) {
  TempDir dir;
  const std::string path = dir / "odd %41 ?x=1 #frag.db";
  int64_t id;
  {
    format::Catalog catalog = format::Catalog::create(path);
    format::Entry e;
    e.path = "train/a.png";
    e.size = 5;
    id = catalog.add(e);
  }
  format::Catalog catalog = format::Catalog::open_immutable(path);
  auto by_path = catalog.find("train/a.png");
  auto by_id = catalog.find_id(id);
  ASSERT_TRUE(by_path && by_id);
  EXPECT_EQ(by_path->id, id);
  EXPECT_EQ(by_id->path, "train/a.png");
  EXPECT_FALSE(catalog.find_id(id + 1));
  EXPECT_THROW(format::Catalog::open_immutable(dir / "odd %41 ?x=1 #frag"), Error);
}

}  // namespace
}  // namespace ferry::test

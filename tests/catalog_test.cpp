// The version the walk saw of each file (ctime, inode), which pack reads it as first.
// Once a file is packed its row drops them.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

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

}  // namespace
}  // namespace ferry::test

// The catalog writes rows many to a statement: the walk's entries through add_all(),
// the packed files' data through set_file_data(), which holds rows until it has a
// statement's worth. Whatever the grouping, every row lands whole and in order, and a
// reader never finds one missing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "format/catalog.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

// More than two statements' worth, and a remainder.
constexpr size_t kCount = 2 * format::Catalog::kRowsPerWrite + 7;

std::vector<format::Entry> walked_files() {
  std::vector<format::Entry> files(kCount);
  for (size_t i = 0; i < kCount; ++i) {
    files[i].path = "dir/file-" + std::to_string(i);
    files[i].mode = 0600 + static_cast<uint32_t>(i % 8);
    files[i].mtime_ns = 1000 + static_cast<int64_t>(i);
    files[i].size = 10 * i;
    files[i].ctime_ns = 2000 + static_cast<int64_t>(i);
    files[i].inode = 3000 + i;
  }
  return files;
}

std::vector<const format::Entry*> pointers(const std::vector<format::Entry>& entries) {
  std::vector<const format::Entry*> out;
  for (const format::Entry& e : entries) out.push_back(&e);
  return out;
}

// What pack learns of file i once it is read.
void set_packed(format::Entry& e, size_t i) {
  e.offset = 100000 + i;
  e.stored = 7 + i;
  e.sha256.fill(static_cast<uint8_t>(i));
  if (i % 3 == 0) {
    e.encoding = format::Encoding::kZstdFrames;
    e.frames = {static_cast<uint32_t>(i), 5};
  }
}

TEST(CatalogRows, AddAllRecordsEveryEntryInOrderWithConsecutiveIds) {
  TempDir dir;
  format::Catalog catalog = format::Catalog::create(dir / "catalog.db");
  const std::vector<format::Entry> files = walked_files();
  catalog.begin();
  const int64_t first = catalog.add(files[0]);
  catalog.add_all(pointers({files.begin() + 1, files.end()}));
  catalog.commit();

  auto cursor = catalog.entries_to_pack(0);
  format::Entry e;
  for (size_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(cursor.next(e)) << i;
    EXPECT_EQ(e.id, first + static_cast<int64_t>(i));
    EXPECT_EQ(e.path, files[i].path);
    EXPECT_EQ(e.mode, files[i].mode);
    EXPECT_EQ(e.mtime_ns, files[i].mtime_ns);
    EXPECT_EQ(e.size, files[i].size);
    EXPECT_EQ(e.ctime_ns, files[i].ctime_ns);
    EXPECT_EQ(e.inode, files[i].inode);
  }
  EXPECT_FALSE(cursor.next(e));
}

TEST(CatalogRows, FileDataHeldForAStatementIsSeenByReadersAndCommitted) {
  TempDir dir;
  const std::string path = dir / "catalog.db";
  format::Catalog catalog = format::Catalog::create(path);
  std::vector<format::Entry> files = walked_files();
  catalog.begin();
  catalog.add_all(pointers(files));
  catalog.commit();

  catalog.begin();
  for (size_t i = 0; i < kCount; ++i) {
    files[i].id = static_cast<int64_t>(i) + 1;
    set_packed(files[i], i);
    catalog.set_file_data(files[i]);
  }
  // The last seven are still held: a reader on this connection finds them anyway.
  std::optional<format::Entry> last = catalog.find(files.back().path);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->offset, files.back().offset);
  catalog.commit();

  format::Catalog reader = format::Catalog::open_readonly(path);
  auto cursor = reader.entries();
  format::Entry e;
  for (size_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(cursor.next(e)) << i;
    EXPECT_EQ(e.path, files[i].path);
    EXPECT_EQ(e.offset, files[i].offset) << e.path;
    EXPECT_EQ(e.stored, files[i].stored) << e.path;
    EXPECT_EQ(e.sha256, files[i].sha256) << e.path;
    EXPECT_EQ(e.encoding, files[i].encoding) << e.path;
    EXPECT_EQ(e.frames, files[i].frames) << e.path;
    EXPECT_EQ(e.mode, files[i].mode) << e.path;
  }
  EXPECT_FALSE(cursor.next(e));
  EXPECT_EQ(reader.totals().files, kCount);
}

}  // namespace
}  // namespace ferry::test

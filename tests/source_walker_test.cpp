// The walk lists the source on one thread and records it into the catalog on another;
// the catalog must still hold every entry in the fixed order (names sorted bytewise,
// depth first, a folder before what it holds), with special files left out by kind, and
// give back the entries of one kind alone in that order.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "ferry/error.h"
#include "format/catalog.h"
#include "pack/source_walker.h"
#include "support/temp_dir.h"
#include "support/tree.h"
#include "support/walked_entry.h"

namespace ferry::test {
namespace {

std::vector<std::string> catalog_paths(format::Catalog& catalog) {
  std::vector<std::string> paths;
  auto cursor = catalog.entries();
  format::Entry e;
  while (cursor.next(e)) paths.push_back(e.path);
  return paths;
}

std::vector<std::string> catalog_paths_of(format::Catalog& catalog, format::EntryKind kind) {
  std::vector<std::string> paths;
  auto cursor = catalog.entries_of(kind);
  format::Entry e;
  while (cursor.next(e)) {
    EXPECT_EQ(e.kind, kind) << e.path;
    paths.push_back(e.path);
  }
  return paths;
}

TEST(SourceWalker, RecordsEveryEntryInWalkOrderWithTotals) {
  TempDir dir;
  const std::string root = dir / "source";
  make_dir(dir.path(), "source");
  write_file(root, "b/z.txt", "zz");
  write_file(root, "b/a.txt", "a");
  write_file(root, "a.bin", std::string(1000, 'x'));
  make_dir(root, "b/empty");
  make_symlink(root, "link", "b/a.txt");
  ASSERT_EQ(::mkfifo((root + "/pipe").c_str(), 0644), 0);

  TempDir db;
  format::Catalog catalog = format::Catalog::create(db / "catalog.db");
  pack::WalkTotals totals = pack::walk_source(root, catalog);

  EXPECT_EQ(catalog_paths(catalog),
            (std::vector<std::string>{"a.bin", "b", "b/a.txt", "b/empty", "b/z.txt", "link"}));
  EXPECT_EQ(totals.files, 3u);
  EXPECT_EQ(totals.directories, 2u);
  EXPECT_EQ(totals.symlinks, 1u);
  EXPECT_EQ(totals.file_bytes, 1003u);
  const format::Catalog::Totals recorded = catalog.totals();  // the same, counted in the catalog
  EXPECT_EQ(recorded.files, 3u);
  EXPECT_EQ(recorded.directories, 2u);
  EXPECT_EQ(recorded.symlinks, 1u);
  EXPECT_EQ(recorded.file_bytes, 1003u);
  EXPECT_EQ(catalog.find("link")->target, "b/a.txt");
  // Each kind alone, in the same order (restore walks them so).
  EXPECT_EQ(catalog_paths_of(catalog, format::EntryKind::kFile),
            (std::vector<std::string>{"a.bin", "b/a.txt", "b/z.txt"}));
  EXPECT_EQ(catalog_paths_of(catalog, format::EntryKind::kDirectory),
            (std::vector<std::string>{"b", "b/empty"}));
  EXPECT_EQ(catalog_paths_of(catalog, format::EntryKind::kSymlink),
            (std::vector<std::string>{"link"}));
  auto skipped = catalog.skipped();
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].first, "pipe");
  EXPECT_TRUE(pack::is_special_file_reason(skipped[0].second)) << skipped[0].second;
}

// Pack reads each file first as the walk saw it: the walk records the version, and the
// entries to pack bring it back.
TEST(SourceWalker, EachFilesVersionIsRecordedForPack) {
  TempDir dir;
  const std::string root = dir / "source";
  make_dir(dir.path(), "source");
  write_file(root, "f", "bytes");
  const format::Entry seen = walked_entry(1, root, "f");

  TempDir db;
  format::Catalog catalog = format::Catalog::create(db / "catalog.db");
  pack::walk_source(root, catalog);
  auto cursor = catalog.entries_to_pack(0);
  format::Entry e;
  ASSERT_TRUE(cursor.next(e));
  EXPECT_EQ(e.path, "f");
  EXPECT_EQ(e.inode, seen.inode);
  EXPECT_EQ(e.ctime_ns, seen.ctime_ns);
  EXPECT_FALSE(cursor.next(e));
}

// A time the catalog's signed 64-bit nanoseconds cannot hold (after 2262-04-11, before
// 1677-09-21) is kept as the nearest it can, and said of the entry, never wrapped round.
TEST(SourceWalker, ATimeBeyondTheCatalogsRangeIsClampedAndSaid) {
  TempDir dir;
  const std::string root = dir / "source";
  make_dir(dir.path(), "source");
  write_file(root, "future", "f");
  write_file(root, "now", "n");
  const struct timespec year_2300[2] = {{10413792000, 0}, {10413792000, 5}};
  if (::utimensat(AT_FDCWD, (root + "/future").c_str(), year_2300, 0) != 0) {
    GTEST_SKIP() << "this file system cannot hold a time in the year 2300";
  }
  struct stat st;
  ASSERT_EQ(::stat((root + "/future").c_str(), &st), 0);
  if (st.st_mtim.tv_sec != 10413792000) GTEST_SKIP() << "this file system clamps times itself";

  TempDir db;
  format::Catalog catalog = format::Catalog::create(db / "catalog.db");
  pack::WalkTotals totals = pack::walk_source(root, catalog);
  ASSERT_EQ(totals.notes.size(), 1u);
  EXPECT_NE(totals.notes[0].find("future: its modification time lies beyond"), std::string::npos)
      << totals.notes[0];
  auto cursor = catalog.entries_to_pack(0);
  format::Entry e;
  ASSERT_TRUE(cursor.next(e));
  EXPECT_EQ(e.path, "future");
  EXPECT_EQ(e.mtime_ns, INT64_MAX);
}

// More entries than the hand-over between the two threads holds at once.
TEST(SourceWalker, ALargeTreeArrivesWholeAndInOrder) {
  TempDir dir;
  const std::string root = dir / "source";
  make_dir(dir.path(), "source");
  std::vector<std::string> expected;
  for (int d = 0; d < 30; ++d) {
    char folder[16];
    std::snprintf(folder, sizeof folder, "d%02d", d);
    expected.push_back(folder);
    for (int f = 0; f < 1200; ++f) {
      char name[32];
      std::snprintf(name, sizeof name, "%s/f%04d", folder, f);
      write_file(root, name, "");
      expected.push_back(name);
    }
  }
  TempDir db;
  format::Catalog catalog = format::Catalog::create(db / "catalog.db");
  pack::WalkTotals totals = pack::walk_source(root, catalog);
  EXPECT_EQ(totals.files, 30u * 1200u);
  EXPECT_EQ(catalog_paths(catalog), expected);
}

TEST(SourceWalker, AMissingRootIsAnErrorNamingIt) {
  TempDir dir;
  TempDir db;
  format::Catalog catalog = format::Catalog::create(db / "catalog.db");
  try {
    pack::walk_source(dir / "nowhere", catalog);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nowhere"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ferry::test

// Names a restore target cannot hold, or would make one. The file systems that do this
// (exFAT, FAT32, NTFS, ext4 with casefold) cannot be mounted everywhere the tests run,
// so the check is tested against the rules such a target reports, and the probe against
// the test's own file system, which holds every name apart.
#include "read/target_names.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "format/catalog.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

format::Catalog catalog_of(TempDir& dir,
                           const std::vector<std::pair<std::string, format::EntryKind>>& entries) {
  format::Catalog catalog = format::Catalog::create(dir / "catalog.db");
  catalog.begin();
  for (auto& [path, kind] : entries) {
    format::Entry e;
    e.path = path;
    e.kind = kind;
    catalog.add(e);
  }
  catalog.commit();
  return catalog;
}
constexpr auto kDir = format::EntryKind::kDirectory;
constexpr auto kFile = format::EntryKind::kFile;

TEST(TargetNames, OnACaseFoldingTargetNamesEqualButForCaseCollideOncePerFolder) {
  TempDir dir;
  format::Catalog catalog = catalog_of(dir, {{"Case.txt", kFile},
                                             {"Dir", kDir},
                                             {"Dir/x", kFile},
                                             {"case.txt", kFile},
                                             {"dir", kDir},
                                             {"dir/x", kFile},
                                             {"other", kFile},
                                             {"sub", kDir},
                                             {"sub/A", kFile},
                                             {"sub/a", kFile},
                                             {"sub/B", kFile}});
  read::TargetNames folding;
  folding.folds_case = true;
  read::Selection all({});
  read::NameCheck check = read::check_target_names(folding, catalog, all);
  EXPECT_TRUE(check.unholdable.empty());
  ASSERT_EQ(check.collision_groups, 3u);  // not Dir/x and dir/x: that is Dir and dir
  EXPECT_EQ(check.collisions[0], (std::vector<std::string>{"Case.txt", "case.txt"}));
  EXPECT_EQ(check.collisions[1], (std::vector<std::string>{"Dir", "dir"}));
  EXPECT_EQ(check.collisions[2], (std::vector<std::string>{"sub/A", "sub/a"}));

  read::TargetNames exact;  // the same catalog on a target that tells case apart
  EXPECT_EQ(read::check_target_names(exact, catalog, all).collision_groups, 0u);
  read::Selection one_of_each({"Case.txt", "dir", "sub/A"});
  EXPECT_EQ(read::check_target_names(folding, catalog, one_of_each).collision_groups, 0u);
}

TEST(TargetNames, NamesTheTargetCannotHoldAreLeftOutWithWhatIsBelowThem) {
  TempDir dir;
  format::Catalog catalog = catalog_of(dir, {{"a:b", kFile},
                                             {"back\\slash", kDir},
                                             {"back\\slash/inside", kFile},
                                             {"fine", kFile},
                                             {"not-utf8-\xff", kFile},
                                             {"trailing.", kFile}});
  read::TargetNames fat;
  fat.refused = ":\\";
  fat.refuses_non_utf8 = true;
  fat.drops_trailing = true;
  read::Selection all({});
  read::NameCheck check = read::check_target_names(fat, catalog, all);
  ASSERT_EQ(check.unholdable.size(), 4u);
  EXPECT_EQ(check.unholdable[0].first, "a:b");
  EXPECT_EQ(check.unholdable[0].second, "the target cannot hold a name with ':'; not restored");
  EXPECT_EQ(check.unholdable[1].first, "back\\slash");
  EXPECT_EQ(check.unholdable[2].first, "not-utf8-\xff");
  EXPECT_EQ(check.unholdable[3].first, "trailing.");
  EXPECT_FALSE(all.contains("back\\slash/inside"));
  EXPECT_TRUE(all.contains("fine"));
}

TEST(TargetNames, TheProbeFindsThisFileSystemHoldsEveryNameApart) {
  TempDir dir;
  std::string bytes = ":\\*?\"<>|\x01";
  read::TargetNames t = read::probe_target_names(dir.path(), bytes, true);
  EXPECT_FALSE(t.folds_case);
  EXPECT_FALSE(t.drops_trailing);
  EXPECT_FALSE(t.refuses_non_utf8);
  EXPECT_EQ(t.refused, "");
  format::Catalog catalog = catalog_of(dir, {{"x", kFile}});  // the folder's only file
  read::Selection all({});
  EXPECT_EQ(read::bytes_to_probe(catalog, all).first, "");
}

}  // namespace
}  // namespace ferry::test

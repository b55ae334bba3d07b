// Names a restore target cannot hold, or would make one. The file systems that do this
// (exFAT, FAT32, NTFS, ext4 with casefold) cannot be mounted everywhere the tests run,
// so the check is tested against the rules such a target reports, and the probe against
// the test's own file system, which holds every name apart.
#include "read/target_names.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "format/catalog.h"
#include "support/temp_dir.h"
#include "support/tree.h"

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

// A target folding as ext4's casefold does, for the letters the test uses: ASCII and
// É/é case, and é written as one code point or as e and U+0301.
class FoldingTrial : public read::NameTrial {
 public:
  int64_t make(uint64_t folder, const std::string& name, int64_t index) override {
    const int64_t found = find(folder, name);
    if (found < 0) made_[{folder, key(name)}] = index;
    ++made_count;
    return found;
  }
  int64_t find(uint64_t folder, const std::string& name) override {
    auto it = made_.find({folder, key(name)});
    return it == made_.end() ? -1 : it->second;
  }
  int made_count = 0;

 private:
  static std::string key(std::string name) {
    for (auto [from, to] : {std::pair<std::string, std::string>{"\xc3\x89", "e"},  // É
                            {"\xc3\xa9", "e"},                                    // é
                            {"e\xcc\x81", "e"},                                   // e + U+0301
                            {"\xe2\x84\xaa", "k"}}) {                              // KELVIN SIGN
      for (size_t at; (at = name.find(from)) != std::string::npos;) name.replace(at, from.size(), to);
    }
    return read::fold_ascii(name);
  }
  std::map<std::pair<uint64_t, std::string>, int64_t> made_;
};

TEST(TargetNames, NamesBeyondAsciiCollideAsTheTargetsOwnTrialSays) {
  TempDir dir;
  format::Catalog catalog = catalog_of(dir, {{"caf\xc3\xa9.txt", kFile},    // café, composed
                                             {"cafe\xcc\x81.txt", kFile},   // café, decomposed
                                             {"CAF\xc3\x89.txt", kFile},    // CAFÉ
                                             {"plain.txt", kFile},
                                             {"sub", kDir},
                                             {"sub/\xe2\x84\xaa" "elvin", kFile},  // KELVIN SIGN
                                             {"sub/kelvin", kFile},
                                             {"sub/Kelvin", kFile},
                                             {"sub/caf\xc3\xa9.txt", kFile},  // alone in sub
                                             {"\xc3\xa9t\xc3\xa9", kFile}});  // alone
  read::Selection all({});
  read::TargetNames folding;
  folding.folds_case = true;
  FoldingTrial trial;
  read::NameCheck check = read::check_target_names(folding, catalog, all, 10, &trial);
  ASSERT_EQ(check.collision_groups, 2u);
  EXPECT_EQ(check.collisions[0],
            (std::vector<std::string>{"sub/kelvin", "sub/Kelvin", "sub/\xe2\x84\xaa" "elvin"}));
  EXPECT_EQ(check.collisions[1], (std::vector<std::string>{"caf\xc3\xa9.txt", "cafe\xcc\x81.txt",
                                                           "CAF\xc3\x89.txt"}));
  EXPECT_EQ(trial.made_count, 6);  // only the names beyond ASCII are made

  // Without case folding only the two spellings of é are one name; plain names are
  // not even looked at on a target that neither folds nor normalizes.
  read::TargetNames normalizing;
  normalizing.normalizes = true;
  FoldingTrial only_accents;
  check = read::check_target_names(normalizing, catalog, all, 10, &only_accents);
  EXPECT_GE(check.collision_groups, 1u);
  EXPECT_EQ(check.collisions[0][0], "caf\xc3\xa9.txt");
  FoldingTrial unused;
  EXPECT_EQ(read::check_target_names(read::TargetNames{}, catalog, all, 10, &unused).collision_groups,
            0u);
  EXPECT_EQ(unused.made_count, 0);
}

TEST(TargetNames, TheTrialInARealFolderFindsTheNameMadeBeforeAndLeavesNothing) {
  TempDir dir;
  {
    std::unique_ptr<read::NameTrial> trial = read::name_trial_in(dir.path());
    EXPECT_EQ(trial->make(0, "caf\xc3\xa9", 0), -1);
    EXPECT_EQ(trial->make(0, "other", 1), -1);
    EXPECT_EQ(trial->make(1, "caf\xc3\xa9", 2), -1);  // another folder
    EXPECT_EQ(trial->make(0, "caf\xc3\xa9", 3), 0);   // the same bytes are the same name
    EXPECT_EQ(trial->find(0, "other"), 1);
    EXPECT_EQ(trial->find(1, "cafe\xcc\x81"), -1);  // this file system does not normalize
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
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
  ASSERT_EQ(check.unholdable.size(), 5u);
  EXPECT_EQ(check.unholdable[0].first, "a:b");
  EXPECT_EQ(check.unholdable[0].second, "the target cannot hold a name with ':'; not restored");
  EXPECT_EQ(check.unholdable[1].first, "back\\slash");
  EXPECT_EQ(check.unholdable[2].first, "not-utf8-\xff");
  EXPECT_EQ(check.unholdable[3].first, "trailing.");
  EXPECT_EQ(check.unholdable[4].first, "back\\slash/inside");  // said too, not left in silence
  EXPECT_EQ(check.unholdable[4].second.rfind("not restored: it lies in ", 0), 0u);
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
  EXPECT_FALSE(t.normalizes);
  EXPECT_EQ(t.refused, "");
  write_file(dir.path(), ".ferry-probe-\xc3\xa9", "");  // left by a restore killed while probing
  write_file(dir.path(), ".ferry-probe-names-1/0/x", "");
  read::probe_target_names(dir.path(), "", false);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "leftover probes are in the way";
  format::Catalog catalog = catalog_of(dir, {{"x", kFile}});  // the folder's only file
  read::Selection all({});
  EXPECT_EQ(read::bytes_to_probe(catalog, all).first, "");
}

}  // namespace
}  // namespace ferry::test

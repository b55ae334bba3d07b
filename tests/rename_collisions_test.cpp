// Names that differ only in case, restored onto a target that does not tell case apart.
// No such file system can be mounted everywhere the tests run, so the restore is told to
// treat its target as one (what probing finds on exFAT), and writes onto one that does
// tell case apart, where the new names can be seen.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>

#include "codec/kdf.h"
#include "ferry/error.h"
#include "ferry/pack.h"
#include "ferry/restore.h"
#include "read/target_names.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

TEST(Renames, ARenamedFolderRenamesWhatIsBelowIt) {
  read::Renames r;
  r.add("dir", "dir (2)");
  r.add("dir/A.txt", "A (2).txt");
  EXPECT_EQ(r.apply("dir"), "dir (2)");
  EXPECT_EQ(r.apply("dir/A.txt"), "dir (2)/A (2).txt");
  EXPECT_EQ(r.apply("dir/b/c"), "dir (2)/b/c");
  EXPECT_EQ(r.apply("Dir/A.txt"), "Dir/A.txt");
  EXPECT_EQ(r.apply("directory"), "directory");
}

class CaseCollisions : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_.path(), "source/Case.txt", "upper\n");
    write_file(dir_.path(), "source/case.txt", "lower\n");
    write_file(dir_.path(), "source/case (2).txt", "taken already\n");
    write_file(dir_.path(), "source/Dir/x", "upper folder\n");
    write_file(dir_.path(), "source/dir/x", "lower folder\n");
    write_file(dir_.path(), "source/dir/y", "only here\n");
    for (int i = 0; i < 3; ++i) make_dir(dir_.path(), "drive" + std::to_string(i));
    codec::random_bytes(key_.data(), key_.size());
    PackOptions o;
    o.source = dir_ / "source";
    for (int i = 0; i < 3; ++i) o.drives.push_back(dir_ / ("drive" + std::to_string(i)));
    o.credentials.key_file = key_;
    Progress p;
    pack_shipment(o, p);
  }
  RestoreOptions options() {
    RestoreOptions r;
    for (int i = 0; i < 3; ++i) r.drives.push_back(dir_ / ("drive" + std::to_string(i)));
    r.target = dir_ / "restored";
    r.credentials.key_file = key_;
    r.target_folds_case = true;
    return r;
  }
  TempDir dir_;
  std::array<uint8_t, 32> key_{};
};

TEST_F(CaseCollisions, AreRefusedNamingEveryGroupAndTheWayOut) {
  Progress p;
  try {
    restore_shipment(options(), p);
    FAIL() << "restored names that would overwrite each other";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("2 groups of names"), std::string::npos) << m;
    EXPECT_NE(m.find("Case.txt case.txt"), std::string::npos) << m;
    EXPECT_NE(m.find("Dir dir"), std::string::npos) << m;
    EXPECT_NE(m.find("--rename-collisions"), std::string::npos) << m;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "restored")) << "the target made is left behind";
}

TEST_F(CaseCollisions, WithRenameCollisionsTheLaterAreRestoredUnderNewNamesAndListed) {
  RestoreOptions o = options();
  o.rename_collisions = true;
  Progress p;
  RestoreReport r = restore_shipment(o, p);
  auto tree = snapshot(dir_ / "restored");
  EXPECT_EQ(tree.at("Case.txt").content, "upper\n");
  EXPECT_EQ(tree.at("case (2).txt").content, "taken already\n");
  EXPECT_EQ(tree.at("case (3).txt").content, "lower\n");
  EXPECT_EQ(tree.at("Dir/x").content, "upper folder\n");
  EXPECT_EQ(tree.at("dir (2)/x").content, "lower folder\n");
  EXPECT_EQ(tree.at("dir (2)/y").content, "only here\n");
  EXPECT_EQ(tree.count("case.txt"), 0u);
  EXPECT_EQ(tree.count("dir"), 0u);
  ASSERT_EQ(r.not_applied.size(), 2u);
  EXPECT_EQ(r.not_applied[0].first, "case.txt");
  EXPECT_EQ(r.not_applied[0].second,
            "restored as case (3).txt: on the target it would be one name with another of its "
            "folder");
  EXPECT_EQ(r.not_applied[1].first, "dir");
  EXPECT_EQ(r.not_applied[1].second.rfind("restored as dir (2): ", 0), 0u)
      << r.not_applied[1].second;
}

}  // namespace
}  // namespace ferry::test

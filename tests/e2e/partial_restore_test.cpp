// restore --only: exactly the files and folders asked for (with their parents), and a
// path the shipment does not hold is a usage error that writes nothing.
#include <filesystem>
#include <map>
#include <string>

#include "e2e/checks.h"
#include "e2e/fixture.h"

namespace ferry::test {
namespace {

class PartialRestore : public ShipmentTest {
 protected:
  void SetUp() override {
    ShipmentTest::SetUp();
    write_file(source(), "top.txt", "top level\n");
    write_file(source(), "docs/readme.txt", "read me\n", 0600);
    write_file(source(), "docs/sub/deep.csv", csv_text(3 * kTestUnitPlain + 11, 1));
    write_file(source(), "docs/sub/raw.bin", random_bytes(2 * kTestUnitPlain + 3, 2), 0755);
    make_dir(source(), "docs/sub/empty-dir", 0700);
    make_symlink(source(), "docs/sub/link", "deep.csv");
    // Names sharing a prefix with "docs" and "docs/sub": not below them.
    write_file(source(), "docsX.txt", "not in docs\n");
    write_file(source(), "docs-other/file", "not in docs either\n");
    write_file(source(), "docs/subway.txt", "not in docs/sub\n");
    write_file(source(), "images/cat.bin", random_bytes(5 * kTestUnitPlain, 3));
    set_mtime(source(), "docs/sub/link", 1500000000, 7);
    set_mtime(source(), "docs/sub/empty-dir", 1400000000, 8);
    set_mtime(source(), "docs/sub", 1300000000, 9);
    set_mtime(source(), "docs", 1200000000, 10);
    ASSERT_EQ(pack(4, 1).exit_code, 0);
  }

  // The entries of the source at or below `root`.
  std::map<std::string, Node> subset(const std::string& root) {
    std::map<std::string, Node> out;
    for (const auto& [path, node] : snapshot(source())) {
      if (path == root || path.rfind(root + "/", 0) == 0) out[path] = node;
    }
    return out;
  }

  // Checks that `to` holds exactly `expected` plus the folders `parents`.
  void expect_exactly(const std::string& to, const std::map<std::string, Node>& expected,
                      const std::vector<std::string>& parents) {
    auto got = snapshot(to);
    for (const std::string& p : parents) {
      auto it = got.find(p);
      ASSERT_NE(it, got.end()) << "parent folder " << p << " was not created";
      EXPECT_EQ(it->second.kind, 'd') << p;
      got.erase(it);
    }
    for (const auto& [path, node] : expected) {
      auto it = got.find(path);
      if (it == got.end()) {
        ADD_FAILURE() << "missing: " << path;
        continue;
      }
      EXPECT_EQ(it->second.kind, node.kind) << path;
      EXPECT_EQ(it->second.mode, node.mode) << path;
      EXPECT_EQ(it->second.mtime_ns, node.mtime_ns) << path;
      EXPECT_TRUE(it->second.content == node.content) << "content differs: " << path;
      got.erase(it);
    }
    for (const auto& [path, node] : got) ADD_FAILURE() << "restored but not asked for: " << path;
  }
};

TEST_F(PartialRestore, OnlyAFolderRestoresThatFolderAndItsParents) {
  RunResult r = restore(drives(4), target(), {"--only", "docs/sub"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto expected = subset("docs/sub");
  ASSERT_EQ(expected.size(), 5u);  // the folder, two files, the empty folder, the link
  expect_exactly(target(), expected, {"docs"});
}

TEST_F(PartialRestore, OnlyATopLevelFolderDoesNotTakeNamesSharingItsPrefix) {
  RunResult r = restore(drives(4), target(), {"--only", "docs"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_exactly(target(), subset("docs"), {});
  EXPECT_FALSE(path_exists(target() + "/docsX.txt"));
  EXPECT_FALSE(path_exists(target() + "/docs-other"));
}

TEST_F(PartialRestore, OnlyAFileRestoresThatFileAndCreatesItsParents) {
  RunResult r = restore(drives(4), target(), {"--only", "docs/sub/raw.bin"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_exactly(target(), subset("docs/sub/raw.bin"), {"docs", "docs/sub"});
}

TEST_F(PartialRestore, OnlyIsRepeatableAndWorksWithADriveMissing) {
  RunResult r = restore({drive(3), drive(0), drive(2)}, target(),
                        {"--only", "images/cat.bin", "--only", "top.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto expected = subset("images/cat.bin");
  expected.merge(subset("top.txt"));
  ASSERT_EQ(expected.size(), 2u);
  expect_exactly(target(), expected, {"images"});
}

TEST_F(PartialRestore, OnlyBeforeTheDrivesTakesOnePathAndLeavesThemDrives) {
  std::vector<std::string> args = {"restore", "--only", "docs/sub"};
  for (const std::string& d : drives(4)) args.push_back(d);
  args.insert(args.end(), {"--to", target(), "--key-file", key()});
  RunResult r = run_ferry(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(target() + "/docs/sub/raw.bin"));
  EXPECT_FALSE(std::filesystem::exists(target() + "/top.txt"));
}

TEST_F(PartialRestore, OnlyAcceptsDotSlashAndTrailingSlash) {
  RunResult r = restore(drives(4), target(), {"--only", "./docs/sub/"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_exactly(target(), subset("docs/sub"), {"docs"});
}

TEST_F(PartialRestore, OnlyOfAPathNotInTheShipmentFailsWithUsageErrorAndWritesNothing) {
  RunResult r = restore(drives(4), target(), {"--only", "docs", "--only", "no/such/thing"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no/such/thing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no such file or folder"), std::string::npos) << r.err;
  EXPECT_EQ(nothing_in(target()), "");
}

TEST_F(PartialRestore, OnlyOfAPrefixThatIsNotAPathFails) {
  // "doc" is a prefix of "docs" but names nothing in the shipment.
  RunResult r = restore(drives(4), target(), {"--only", "doc"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("doc"), std::string::npos) << r.err;
  EXPECT_EQ(nothing_in(target()), "");
}

}  // namespace
}  // namespace ferry::test

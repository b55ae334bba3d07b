// A drive too small for the shipment: pack says so before writing a byte; and when the
// check is skipped (or the free space shrinks while packing), the write failure names
// the drive that is full.
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "e2e/checks.h"
#include "e2e/fixture.h"

namespace ferry::test {
namespace {

class DriveFull : public ShipmentTest {
 protected:
  std::string small() const { return dir_ / "small-drive"; }

  void SetUp() override {
    ShipmentTest::SetUp();
    ASSERT_EQ(::mkdir(small().c_str(), 0755), 0);
    std::string cmd = "mount -t tmpfs -o size=2m tmpfs '" + small() + "' 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) {
      GTEST_SKIP() << "cannot mount a 2 MiB tmpfs at " << small()
                   << " (needs root and mount permission)";
    }
    mounted_ = true;
    // 6 MiB of incompressible data over 2 data drives: 3 MiB each, more than 2 MiB.
    write_file(source(), "big/one.bin", random_bytes(3 << 20, 1));
    write_file(source(), "big/two.bin", random_bytes(3 << 20, 2));
    write_file(source(), "small.txt", "small\n");
  }

  void TearDown() override {
    if (mounted_) {
      std::string cmd = "umount '" + small() + "'";
      if (std::system(cmd.c_str()) != 0) ::umount2(small().c_str(), MNT_DETACH);
    }
  }

  RunResult pack_onto_small(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "pack",       source(), "--parity",     "1",
        "--key-file", key(),    "--block-size", std::to_string(kTestBlockKiB),
        "--quiet",    "--to",   drive(0),       small(),
        drive(1)};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_ferry(args);
  }

  bool mounted_ = false;
};

TEST_F(DriveFull, TooBigASourceIsRefusedBeforeAnythingIsWritten) {
  RunResult r = pack_onto_small();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(r.exit_code, 128) << "crashed: " << r.err;
  EXPECT_NE(r.err.find("does not fit"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(small()), std::string::npos) << "the full drive is not named: " << r.err;
  EXPECT_EQ(nothing_in(drive(0)), "");
  EXPECT_EQ(nothing_in(small()), "");
  EXPECT_EQ(nothing_in(drive(1)), "");
}

TEST_F(DriveFull, WithoutTheSpaceCheckTheWriteFailureNamesTheFullDrive) {
  RunResult r = pack_onto_small({"--no-space-check"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(r.exit_code, 128) << "crashed: " << r.err;
  EXPECT_NE(r.err.find(small()), std::string::npos) << "the full drive is not named: " << r.err;
  EXPECT_NE(r.err.find("space"), std::string::npos) << r.err;
  // Whatever it left behind is not a shipment anyone can restore from.
  RunResult restored = restore({drive(0), small(), drive(1)}, target());
  EXPECT_NE(restored.exit_code, 0);
  EXPECT_EQ(nothing_in(target()), "");
}

TEST_F(DriveFull, OnceSpaceIsFreedTheSameCommandResumesAndCompletes) {
  RunResult full = pack_onto_small({"--no-space-check", "--checkpoint-bytes", "100000"});
  ASSERT_NE(full.exit_code, 0);
  ASSERT_NE(full.err.find("space"), std::string::npos) << full.err;
  // "Free space": grow the small drive, then run the identical command.
  ASSERT_EQ(::mount("tmpfs", small().c_str(), "tmpfs", MS_REMOUNT, "size=64m"), 0);
  RunResult again = pack_onto_small({"--no-space-check", "--checkpoint-bytes", "100000"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  RunResult restored = restore({drive(0), small(), drive(1)}, target());
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
}

TEST_F(DriveFull, AnAbandonedStartsBlocksCountAsFreeSpace) {
  // Without the check the pack fills the small drive and fails before any checkpoint
  // (the source is shorter than one interval), leaving 2 MiB of blocks nobody can use.
  RunResult full = pack_onto_small({"--no-space-check"});
  ASSERT_NE(full.exit_code, 0);
  ASSERT_NE(nothing_in(small()), "");
  // 4.5 MiB would hold the 3 MiB this drive needs, but not beside the 2 MiB left there.
  ASSERT_EQ(::mount("tmpfs", small().c_str(), "tmpfs", MS_REMOUNT, "size=4608k"), 0);
  RunResult again = pack_onto_small();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  RunResult restored = restore({drive(0), small()}, target());
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
}

TEST_F(DriveFull, ASourceThatFitsIsPackedOntoTheSmallDrive) {
  // The check is not too strict: a shipment that does fit is packed and restored.
  ASSERT_EQ(::unlink((source() + "/big/two.bin").c_str()), 0);
  ASSERT_EQ(::unlink((source() + "/big/one.bin").c_str()), 0);
  write_file(source(), "big/half.bin", random_bytes(1 << 20, 3));
  RunResult r = pack_onto_small();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RunResult restored = restore({small(), drive(1)}, target());
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
}

}  // namespace
}  // namespace ferry::test

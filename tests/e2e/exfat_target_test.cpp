// Restore onto a real exFAT file system (Debian's exfat-fuse over a loop device): names
// that differ only in case, ASCII or not, a name exFAT cannot hold, a symbolic link it has no place
// for. The unit tests treat a folder as case-insensitive by injection; this is the real
// thing, mounted as a user's exFAT drive would be. Needs root, /dev/fuse, a free loop
// device, mkfs.exfat and mount.exfat-fuse (scripts/install-deps.sh installs them).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "e2e/checks.h"
#include "e2e/fixture.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

namespace fs = std::filesystem;

// Runs `command` through the shell; its output, and whether it exited 0.
bool run_shell(const std::string& command, std::string* out = nullptr) {
  std::string text;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return false;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) text.append(buf, n);
  if (out) *out = text;
  return ::pclose(p) == 0;
}

class ExfatTarget : public ShipmentTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0 || ::access("/dev/fuse", R_OK | W_OK) != 0 ||
        !run_shell("command -v mkfs.exfat && command -v mount.exfat-fuse && command -v losetup")) {
      GTEST_SKIP() << "needs root, /dev/fuse, mkfs.exfat and mount.exfat-fuse to mount exFAT";
    }
    ShipmentTest::SetUp();
    write_file(source(), "Case.txt", "upper\n");
    write_file(source(), "case.txt", "lower\n");
    write_file(source(), "Photos/a.jpg", random_bytes(70000, 1));
    write_file(source(), "photos/b.jpg", random_bytes(50000, 2));
    write_file(source(), "back\\slash.txt", "a name exFAT refuses\n");
    write_file(source(), "plain.txt", "plain\n");
    // exFAT's upcase table folds É and é; it keeps é as one code point and as e + U+0301
    // apart: the one pair collides, the other does not.
    write_file(source(), "accents/\xc3\x89t\xc3\xa9.txt", "upper accent\n");       // Été
    write_file(source(), "accents/\xc3\xa9t\xc3\xa9.txt", "lower accent\n");       // été
    write_file(source(), "accents/caf\xc3\xa9.txt", "composed\n");                 // café
    write_file(source(), "accents/cafe\xcc\x81.txt", "decomposed\n");              // café
    make_symlink(source(), "link", "plain.txt");
    // exFAT through FUSE takes a chmod it cannot hold without an error.
    write_file(source(), "secret.txt", "mine\n", 0600);
    ASSERT_EQ(pack(3, 1).exit_code, 0);

    const std::string image = dir_ / "exfat.img";
    std::ofstream(image).close();
    fs::resize_file(image, 64 << 20);
    std::string out;
    ASSERT_TRUE(run_shell("mkfs.exfat '" + image + "'", &out)) << out;
    if (!run_shell("losetup -f --show '" + image + "'", &loop_)) {
      GTEST_SKIP() << "no loop device to be had: " << loop_;
    }
    loop_.erase(loop_.find_last_not_of('\n') + 1);
    fs::create_directory(mount_point());
    ASSERT_TRUE(run_shell("mount.exfat-fuse '" + loop_ + "' '" + mount_point() + "'", &out)) << out;
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) run_shell("umount '" + mount_point() + "' || umount -l '" + mount_point() + "'");
    if (!loop_.empty() && loop_.rfind("/dev/", 0) == 0) run_shell("losetup -d '" + loop_ + "'");
  }
  std::string mount_point() const { return dir_ / "exfat"; }

  std::string loop_;
  bool mounted_ = false;
};

TEST_F(ExfatTarget, NamesEqualButForCaseAreRefusedAndNothingIsWritten) {
  RunResult r = restore(drives(3), mount_point());
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("does not tell upper from lower case"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Case.txt case.txt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Photos photos"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3 groups of names"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("accents/\xc3\x89t\xc3\xa9.txt accents/\xc3\xa9t\xc3\xa9.txt"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("cafe\xcc\x81"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--rename-collisions"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(mount_point()));
}

TEST_F(ExfatTarget, WithRenameCollisionsEveryFileArrivesAndEachChangeIsSaid) {
  RunResult r = restore(drives(3), mount_point(), {"--rename-collisions"});
  // 3: restored, but not everything in its own form.
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  const std::string m = mount_point();
  EXPECT_EQ(read_all(m + "/Case.txt"), "upper\n");
  EXPECT_EQ(read_all(m + "/case (2).txt"), "lower\n");
  EXPECT_EQ(read_all(m + "/Photos/a.jpg"), random_bytes(70000, 1));
  EXPECT_EQ(read_all(m + "/photos (2)/b.jpg"), random_bytes(50000, 2));
  EXPECT_EQ(read_all(m + "/plain.txt"), "plain\n");
  EXPECT_EQ(read_all(m + "/accents/\xc3\x89t\xc3\xa9.txt"), "upper accent\n");
  EXPECT_EQ(read_all(m + "/accents/\xc3\xa9t\xc3\xa9 (2).txt"), "lower accent\n");
  EXPECT_EQ(read_all(m + "/accents/caf\xc3\xa9.txt"), "composed\n");
  EXPECT_EQ(read_all(m + "/accents/cafe\xcc\x81.txt"), "decomposed\n");
  EXPECT_NE(r.err.find("case.txt: restored as case (2).txt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("photos: restored as photos (2)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the target cannot hold a name with '\\'; not restored"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("link: not restored: the target holds no symbolic links"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("secret.txt: mode 0600 not kept: the target shows"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("2 entries were not restored and"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("every file's content is restored"), std::string::npos) << r.err;
}

// exFAT keeps no holes: a sparse file takes its whole size there, and the space check
// counts it so, before anything is written (on ext4 the same file takes a few blocks).
TEST_F(ExfatTarget, ASparseFileCountsWholeOnATargetWithoutHoles) {
  make_dir(dir_.path(), "sparse-src");
  {
    std::ofstream f(dir_ / "sparse-src/disk.img");
    f.seekp(100 << 20);  // past the 64 MiB image
    f << "end";
  }
  std::vector<std::string> pack_args = {"pack", dir_ / "sparse-src", "--parity", "1",
                                        "--key-file", key(), "--to"};
  std::vector<std::string> drives;
  for (int i = 0; i < 3; ++i) {
    make_dir(dir_.path(), "sd" + std::to_string(i));
    drives.push_back(dir_ / ("sd" + std::to_string(i)));
    pack_args.push_back(drives.back());
  }
  ASSERT_EQ(run_ferry(pack_args).exit_code, 0);
  RunResult r = restore(drives, mount_point() + "/out");
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("Nothing was written"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(mount_point())) << "the refused restore left something behind";
}

}  // namespace
}  // namespace ferry::test

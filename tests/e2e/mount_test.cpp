// `ferry mount`: the mounted tree compared whole with the source (bytes and metadata,
// through ordinary file system calls), with a drive missing and with damaged blocks;
// random reads; many readers at once; EIO rather than wrong bytes beyond parity;
// unmount while reading; Ctrl-C in the foreground. Needs /dev/fuse: without it the
// tests say so and skip.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "e2e/fixture.h"
#include "support/run.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

bool is_mounted(const std::string& path) {
  std::ifstream mounts("/proc/mounts");
  std::string device, where, rest;
  while (mounts >> device >> where && std::getline(mounts, rest)) {
    if (where == path) return true;
  }
  return false;
}

void unmount(const std::string& path) {
  if (is_mounted(path)) {
    std::system(("fusermount3 -u -z '" + path + "' 2>/dev/null || umount -l '" + path + "'").c_str());
  }
}

// Whether a ferry process has `mountpoint` among its arguments.
bool serving(const std::string& mountpoint) {
  for (const auto& p : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(p.path() / "cmdline", std::ios::binary);
    std::string cmdline(std::istreambuf_iterator<char>(in), {});
    std::vector<std::string> args;
    for (size_t at = 0; at < cmdline.size();) {
      size_t end = cmdline.find('\0', at);
      if (end == std::string::npos) end = cmdline.size();
      args.push_back(cmdline.substr(at, end - at));
      at = end + 1;
    }
    if (args.size() < 2 || args[0] != ferry_binary() || args[1] != "mount") continue;
    for (const auto& a : args) {
      if (a == mountpoint) return true;
    }
  }
  return false;
}

std::string read_all(const std::string& path) { return read_whole_file(path); }

// What `find` lists under `dir` (test folders' paths need no quoting beyond '…').
std::string find_listing(const std::string& dir) {
  FILE* p = ::popen(("cd '" + dir + "' && find . | LC_ALL=C sort").c_str(), "r");
  std::string out;
  char buf[4096];
  while (p && std::fgets(buf, sizeof buf, p)) out += buf;
  if (p) ::pclose(p);
  return out;
}

class MountTest : public ShipmentTest {
 protected:
  void SetUp() override {
    if (::access("/dev/fuse", R_OK | W_OK) != 0 ||
        std::system("command -v fusermount3 >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "FUSE is not available here (/dev/fuse or fusermount3 missing): the "
                      "mount tests cannot run";
    }
    ShipmentTest::SetUp();
    make_odd_tree(source(), kTestUnitPlain, 3 * kTestUnitPlain);
    write_file(source(), "media/big.bin", random_bytes(3 * 1024 * 1024 + 99, 11));
    write_file(source(), "sheets/table.csv", csv_text(2 * 1024 * 1024 + 5, 12));
    pack(4, 1);
    mnt_ = dir_ / "mnt";
    make_dir(dir_.path(), "mnt");
  }
  void TearDown() override {
    if (!mnt_.empty()) unmount(mnt_);
  }

  RunResult mount(const std::vector<std::string>& drives, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"mount"};
    args.insert(args.end(), drives.begin(), drives.end());
    args.insert(args.end(), {mnt_, "--key-file", key()});
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = run_ferry(args);
    return r;
  }

  // Damages `count` blocks' worth of bytes at the start of drive `i`'s first segment.
  void damage(int i, size_t bytes) {
    std::string folder;
    for (const auto& e : std::filesystem::directory_iterator(drive(i))) folder = e.path();
    std::string segment = folder + "/segments/seg-00000000.fry";
    int fd = ::open(segment.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0) << segment;
    std::string junk = random_bytes(bytes, 77 + i);
    ASSERT_EQ(::pwrite(fd, junk.data(), junk.size(), 0), static_cast<ssize_t>(junk.size()));
    ::close(fd);
  }

  std::string mnt_;
};

TEST_F(MountTest, MountedTreeEqualsTheSourceInBytesAndMetadata) {
  RunResult r = mount(drives(4));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(is_mounted(mnt_));
  EXPECT_EQ(compare_trees(source(), mnt_), "");
  // Read-only: no file can be created or changed.
  EXPECT_LT(::open((mnt_ + "/new").c_str(), O_WRONLY | O_CREAT, 0644), 0);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(std::system(("fusermount3 -u '" + mnt_ + "'").c_str()), 0);
  EXPECT_FALSE(is_mounted(mnt_));
}

// A folder's link count says "not counted" (1), never 2, which would tell find's leaf
// optimisation that a folder with subfolders has none; and find walks the whole tree.
TEST_F(MountTest, FoldersDoNotClaimToHaveNoSubfolders) {
  ASSERT_EQ(mount(drives(4)).exit_code, 0);
  struct stat st;
  ASSERT_EQ(::stat(mnt_.c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
  const std::string listed = find_listing(mnt_);
  EXPECT_NE(listed.find("./media/big.bin"), std::string::npos) << listed;
  EXPECT_EQ(listed, find_listing(source()));
}

TEST_F(MountTest, WorksWithADriveMissing) {
  RunResult r = mount({drive(0), drive(1), drive(3)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(source(), mnt_), "");
  // Said on the terminal, as restore says it: the mount runs without that drive's parity.
  EXPECT_NE(r.err.find("warning: the drive of slot 2 (of 4) is not attached"),
            std::string::npos)
      << r.err;
}

TEST_F(MountTest, WorksWithDamagedBlocks) {
  damage(1, 256 * 1024);
  RunResult r = mount(drives(4));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(source(), mnt_), "");
}

TEST_F(MountTest, RandomReadsAtRandomOffsetsMatchTheSource) {
  ASSERT_EQ(mount(drives(4)).exit_code, 0);
  std::mt19937_64 rng(5);
  for (const char* rel : {"media/big.bin", "sheets/table.csv"}) {
    const std::string want = read_all(source() + "/" + rel);
    int fd = ::open((mnt_ + "/" + rel).c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    for (int i = 0; i < 300; ++i) {
      const size_t offset = rng() % want.size();
      const size_t len = 1 + rng() % (300 * 1024);
      std::string got(len, '\0');
      ssize_t n = ::pread(fd, got.data(), len, static_cast<off_t>(offset));
      ASSERT_GE(n, 0);
      got.resize(static_cast<size_t>(n));
      ASSERT_EQ(got, want.substr(offset, len)) << rel << " at " << offset;
    }
    ::close(fd);
  }
}

TEST_F(MountTest, ManyReadersAtOnce) {
  ASSERT_EQ(mount(drives(4), {"--cache", "1MiB"}).exit_code, 0);
  const std::string big = read_all(source() + "/media/big.bin");
  const std::string csv = read_all(source() + "/sheets/table.csv");
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        if (read_all(mnt_ + "/media/big.bin") != big) ++wrong;
        if (read_all(mnt_ + "/sheets/table.csv") != csv) ++wrong;
        if (t % 2 == 0 && compare_trees(source(), mnt_) != "") ++wrong;
      }
    });
  }
  for (auto& r : readers) r.join();
  EXPECT_EQ(wrong, 0);
}

TEST_F(MountTest, BeyondParityAReadFailsWithEioNeverWrongBytes) {
  damage(0, 2 * 1024 * 1024);
  damage(2, 2 * 1024 * 1024);
  ASSERT_EQ(mount(drives(4)).exit_code, 0);
  const std::string want = read_all(source() + "/media/big.bin");
  int fd = ::open((mnt_ + "/media/big.bin").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::string got(want.size(), '\0');
  size_t done = 0;
  int error = 0;
  while (done < got.size()) {
    ssize_t n = ::read(fd, got.data() + done, got.size() - done);
    if (n < 0) {
      error = errno;
      break;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  EXPECT_EQ(error, EIO) << "two of four drives damaged over the same stripes must not read";
  // What came before the error is exact.
  EXPECT_EQ(got.substr(0, done), want.substr(0, done));
}

TEST_F(MountTest, OnlyShowsTheChosenFoldersAndTheirParents) {
  ASSERT_EQ(mount(drives(4), {"--only", "sheets"}).exit_code, 0);
  EXPECT_EQ(read_all(mnt_ + "/sheets/table.csv"), read_all(source() + "/sheets/table.csv"));
  EXPECT_NE(::access((mnt_ + "/media/big.bin").c_str(), F_OK), 0);
  EXPECT_NE(::access((mnt_ + "/media").c_str(), F_OK), 0);
}

TEST_F(MountTest, UnmountWhileReadingEndsTheServerCleanly) {
  ASSERT_EQ(mount(drives(4)).exit_code, 0);
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) read_all(mnt_ + "/media/big.bin");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(std::system(("fusermount3 -u -z '" + mnt_ + "'").c_str()), 0);
  stop = true;
  reader.join();
  EXPECT_FALSE(is_mounted(mnt_));
  // The background server has gone: no ferry process serves that mount point any more.
  for (int i = 0; i < 50 && serving(mnt_); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(serving(mnt_));
}

TEST_F(MountTest, CtrlCInTheForegroundUnmounts) {
  std::vector<std::string> args = {"mount"};
  for (const auto& d : drives(4)) args.push_back(d);
  args.insert(args.end(), {mnt_, "--key-file", key(), "--foreground"});
  int pid = spawn_ferry(args);
  for (int i = 0; i < 100 && !is_mounted(mnt_); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(is_mounted(mnt_));
  EXPECT_EQ(read_all(mnt_ + "/sheets/table.csv"), read_all(source() + "/sheets/table.csv"));
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_ferry(pid), 0);
  EXPECT_FALSE(is_mounted(mnt_));
}

// A source of its own: hard links, an extended attribute, a sparse file, a root folder
// with its own mode and time.
TEST_F(MountTest, HardLinksXattrsSparseFilesAndTheRootLookAsInTheSource) {
  make_dir(dir_.path(), "linked");
  const std::string src = dir_ / "linked";
  write_file(src, "a/first", random_bytes(70000, 5));
  ASSERT_EQ(::link((src + "/a/first").c_str(), (src + "/second").c_str()), 0);
  const std::string attr("a value\0with a zero", 20);
  const bool have_xattrs =
      ::setxattr((src + "/a/first").c_str(), "user.ferry.test", attr.data(), attr.size(), 0) == 0 &&
      ::setxattr(src.c_str(), "user.top", "folder", 6, 0) == 0;
  {
    std::ofstream sparse(src + "/sparse.img");
    sparse.seekp(20 << 20);
    sparse << "end";
  }
  ASSERT_EQ(::chmod(src.c_str(), 0750), 0);
  const bool as_root = ::geteuid() == 0;
  if (as_root) {
    ASSERT_EQ(::chown(src.c_str(), 1001, 1002), 0);
  }
  struct timespec times[2] = {{1600000000, 123}, {1600000000, 123}};
  ASSERT_EQ(::utimensat(AT_FDCWD, src.c_str(), times, 0), 0);
  std::vector<std::string> args = {"pack", src, "--parity", "1", "--key-file", key(), "--to"};
  for (int i = 0; i < 4; ++i) {
    make_dir(dir_.path(), "ld" + std::to_string(i));
    args.push_back(dir_ / ("ld" + std::to_string(i)));
  }
  ASSERT_EQ(run_ferry(args).exit_code, 0);
  std::vector<std::string> drives;
  for (int i = 0; i < 4; ++i) drives.push_back(dir_ / ("ld" + std::to_string(i)));
  ASSERT_EQ(mount(drives).exit_code, 0);
  struct stat first, second, sparse, root;
  ASSERT_EQ(::stat((mnt_ + "/a/first").c_str(), &first), 0);
  ASSERT_EQ(::stat((mnt_ + "/second").c_str(), &second), 0);
  EXPECT_EQ(first.st_ino, second.st_ino);
  EXPECT_EQ(first.st_nlink, 2u);
  EXPECT_EQ(second.st_nlink, 2u);
  ASSERT_EQ(::stat((mnt_ + "/sparse.img").c_str(), &sparse), 0);
  EXPECT_EQ(sparse.st_size, (20 << 20) + 3);
  EXPECT_LT(sparse.st_blocks * 512, 1 << 20) << "the holes look allocated";
  EXPECT_EQ(read_all(mnt_ + "/sparse.img"), read_all(src + "/sparse.img"));
  if (have_xattrs) {  // tmpfs before Linux 6.6 takes no user.* attributes
    char value[64];
    const ssize_t n = ::getxattr((mnt_ + "/second").c_str(), "user.ferry.test", value, sizeof value);
    ASSERT_EQ(n, static_cast<ssize_t>(attr.size()));
    EXPECT_EQ(std::string(value, static_cast<size_t>(n)), attr);
    char names[256];
    const ssize_t listed = ::listxattr((mnt_ + "/a/first").c_str(), names, sizeof names);
    EXPECT_EQ(std::string(names, listed > 0 ? static_cast<size_t>(listed) : 0),
              std::string("user.ferry.test\0", 16));
    EXPECT_LT(::getxattr((mnt_ + "/sparse.img").c_str(), "user.ferry.test", value, sizeof value), 0);
    EXPECT_EQ(errno, ENODATA);
    EXPECT_EQ(::getxattr(mnt_.c_str(), "user.top", value, sizeof value), 6);  // the top folder's
  }
  ASSERT_EQ(::stat(mnt_.c_str(), &root), 0);
  EXPECT_EQ(root.st_mode & 07777, 0750u);
  if (as_root) {  // a mount made by root shows the owners packed
    EXPECT_EQ(root.st_uid, 1001u);
    EXPECT_EQ(root.st_gid, 1002u);
  }
  EXPECT_EQ(root.st_mtim.tv_sec, 1600000000);
  EXPECT_EQ(root.st_mtim.tv_nsec, 123);
}

TEST_F(MountTest, AMountPointThatIsADriveOrNotEmptyIsRefused) {
  // The mount point forgotten: the last drive would be taken for it.
  RunResult r = run_ferry({"mount", drive(0), drive(1), drive(2), drive(3), "--key-file", key()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is a drive"), std::string::npos) << r.err;
  EXPECT_FALSE(is_mounted(drive(3)));
  r = run_ferry({"mount", drive(0), drive(1), drive(2), drive(3), drive(0), "--key-file", key()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is one of the drives given"), std::string::npos) << r.err;
  write_file(mnt_, "mine.txt", "the user's\n");
  r = mount(drives(4));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is not empty"), std::string::npos) << r.err;
  EXPECT_FALSE(is_mounted(mnt_));
  EXPECT_EQ(read_all(mnt_ + "/mine.txt"), "the user's\n");
}

TEST_F(MountTest, OnlyPathsAreReadAsRestoreReadsThemAndOneNotThereIsRefused) {
  RunResult r = mount(drives(4), {"--only", "nothing/here"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--only nothing/here: no such file or folder"), std::string::npos) << r.err;
  EXPECT_FALSE(is_mounted(mnt_));
  ASSERT_EQ(mount(drives(4), {"--only", "./sheets/"}).exit_code, 0);
  EXPECT_EQ(read_all(mnt_ + "/sheets/table.csv"), read_all(source() + "/sheets/table.csv"));
}

TEST_F(MountTest, AWrongKeyIsSaidOnTheTerminalAndNothingIsMounted) {
  ASSERT_EQ(run_ferry({"keygen", "-o", dir_ / "other.key"}).exit_code, 0);
  std::vector<std::string> args = {"mount"};
  for (const auto& d : drives(4)) args.push_back(d);
  args.insert(args.end(), {mnt_, "--key-file", dir_ / "other.key"});
  RunResult r = run_ferry(args);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("does not open"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("mounted"), std::string::npos) << r.err;
  EXPECT_FALSE(is_mounted(mnt_));
}

}  // namespace
}  // namespace ferry::test

// Hostile conditions: signals, a second process on the same drives, read-only and full
// drives, unreadable sources, a full restore target. Each ends in a clear error (or a
// clean stop), nothing lost, and the same command completing once the cause is gone.
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "e2e/fixture.h"
#include "format/drive_folder.h"

namespace ferry::test {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Hostile : public ShipmentTest {
 protected:
  void TearDown() override {
    for (const std::string& m : mounts_) ::umount2(m.c_str(), MNT_DETACH);
  }
  bool mount_tmpfs(const std::string& dir, const std::string& options) {
    fs::create_directories(dir);
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0) return false;
    mounts_.push_back(dir);
    return true;
  }
  void big_source(int files, size_t size) {
    for (int i = 0; i < files; ++i) write_file(source(), "f" + std::to_string(i), random_bytes(size, i));
  }
  std::vector<std::string> pack_args(int n, int parity) {
    std::vector<std::string> args = {"pack", source(), "--parity", std::to_string(parity), "--key-file",
                                     key(), "--block-size", "64", "--checkpoint-bytes", "200000", "--to"};
    for (const auto& d : drives(n)) args.push_back(d);
    return args;
  }
  bool label_has_checkpoint(const std::string& drive) {
    for (const auto& folder : format::find_shipment_folders(drive)) {
      try {
        auto l = format::read_label(folder);
        return l.checkpoint && l.checkpoint->last_entry > 0;
      } catch (...) {
      }
    }
    return false;
  }
  std::vector<std::string> mounts_;
};

TEST_F(Hostile, SigintStopsPackAtACheckpointAndTheSameCommandResumes) {
  big_source(60, 400000);
  std::string err = dir_ / "err";
  std::string cmd = ferry_binary();
  for (const auto& a : pack_args(4, 1)) cmd += " '" + a + "'";
  // The shell waits until a checkpoint exists, then sends SIGINT, and records the exit code.
  std::string script = cmd + " 2>'" + err + "' & pid=$!; for i in $(seq 400); do grep -q last_entry\\\": [1-9] '" +
                       drive(0) + "'/ferry-*/label.json 2>/dev/null && break; sleep 0.005; done; kill -INT $pid; wait $pid; echo $? > '" +
                       (dir_ / "rc") + "'";
  std::ofstream(dir_ / "run.sh") << script << "\n";
  ASSERT_EQ(std::system(("bash '" + (dir_ / "run.sh") + "'").c_str()), 0);
  int rc = std::stoi(slurp(dir_ / "rc"));
  if (rc == 0) GTEST_SKIP() << "pack finished before the signal arrived";
  EXPECT_EQ(rc, 130) << slurp(err);
  EXPECT_NE(slurp(err).find("run the same command again"), std::string::npos) << slurp(err);
  RunResult again = run_ferry(pack_args(4, 1));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("resumed"), std::string::npos) << again.out;
  ASSERT_EQ(restore(drives(4), target()).exit_code, 0);
  EXPECT_EQ(compare_trees(source(), target()), "");
}

TEST_F(Hostile, ASecondProcessOnTheSameDrivesIsRefused) {
  big_source(80, 400000);
  int pid = spawn_ferry(pack_args(4, 1));
  bool started = false;
  for (int i = 0; i < 2000 && !started; ++i) {
    started = label_has_checkpoint(drive(0));
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  RunResult second = run_ferry(pack_args(4, 1));
  int first = wait_ferry(pid);
  if (!started) GTEST_SKIP() << "the first pack finished before the second started";
  EXPECT_EQ(first, 0);
  if (second.exit_code == 0) GTEST_SKIP() << "the first pack had finished";
  EXPECT_NE(second.err.find("in use by another ferry process"), std::string::npos) << second.err;
  ASSERT_EQ(restore(drives(4), target()).exit_code, 0);
  EXPECT_EQ(compare_trees(source(), target()), "");
}

// The first pack held before its first checkpoint (an unfinished start, which the same
// command may replace): the second is refused by its lock, never wipes it out.
TEST_F(Hostile, ASecondPackNeverReplacesAPackStillRunning) {
  big_source(80, 400000);
  int pid = spawn_ferry(pack_args(4, 1));
  bool started = false;
  for (int i = 0; i < 20000 && !started; ++i) {
    for (const auto& e : fs::directory_iterator(drive(3))) {
      started = started || fs::exists(e.path() / "lock");
    }
    if (!started) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ::kill(pid, SIGSTOP);
  const bool checkpointed = label_has_checkpoint(drive(0));
  RunResult second = run_ferry(pack_args(4, 1));
  ::kill(pid, SIGCONT);
  int first = wait_ferry(pid);
  if (!started) GTEST_SKIP() << "the first pack finished before the second started";
  if (checkpointed) GTEST_SKIP() << "held after its first checkpoint: another test's case";
  EXPECT_NE(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("in use by another ferry process"), std::string::npos) << second.err;
  EXPECT_EQ(first, 0);
  ASSERT_EQ(restore(drives(4), target()).exit_code, 0);
  EXPECT_EQ(compare_trees(source(), target()), "");
}

// --force over a complete shipment with the last drive read-only: refused before
// anything is removed, so the old shipment is still whole.
TEST_F(Hostile, ForceWithAReadOnlyDriveRemovesNothing) {
  big_source(5, 100000);
  fs::remove(drive(3));
  if (!mount_tmpfs(drive(3), "size=64m")) GTEST_SKIP() << "cannot mount tmpfs (not root?)";
  ASSERT_EQ(run_ferry(pack_args(4, 1)).exit_code, 0);
  ASSERT_EQ(::mount("tmpfs", drive(3).c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=64m"), 0);
  std::vector<std::string> args = pack_args(4, 1);
  args.push_back("--force");
  RunResult r = run_ferry(args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(drive(3)), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing was removed"), std::string::npos) << r.err;
  ASSERT_EQ(restore(drives(4), target()).exit_code, 0);
  EXPECT_EQ(compare_trees(source(), target()), "");
  ASSERT_EQ(::mount("tmpfs", drive(3).c_str(), "tmpfs", MS_REMOUNT, "size=64m"), 0);
}

TEST_F(Hostile, AReadOnlyDriveIsNamedAndPackCompletesOnceWritable) {
  big_source(5, 100000);
  fs::remove(drive(2));
  if (!mount_tmpfs(drive(2), "size=64m")) GTEST_SKIP() << "cannot mount tmpfs (not root?)";
  ASSERT_EQ(::mount("tmpfs", drive(2).c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=64m"), 0);
  RunResult r = run_ferry(pack_args(4, 1));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(drive(2)), std::string::npos) << r.err;
  ASSERT_EQ(::mount("tmpfs", drive(2).c_str(), "tmpfs", MS_REMOUNT, "size=64m"), 0);
  RunResult again = run_ferry(pack_args(4, 1));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  ASSERT_EQ(restore(drives(4), target()).exit_code, 0);
  EXPECT_EQ(compare_trees(source(), target()), "");
}

TEST_F(Hostile, UnreadableSourceEntriesAreListedWithExitCode3) {
  if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "setpriv (util-linux) missing";
  write_file(source(), "ok.txt", "fine\n");
  write_file(source(), "secret.txt", "no\n", 0000);
  write_file(source(), "closed/inside.txt", "hidden\n");
  ::chmod((source() + "/closed").c_str(), 0000);
  // Root reads everything, so run pack as nobody, on drives nobody may write.
  for (const auto& p : {dir_.path(), source(), key()}) ::chmod(p.c_str(), 0755);
  ::chmod(key().c_str(), 0644);
  for (int i = 0; i < 4; ++i) ::chmod(drive(i).c_str(), 0777);
  std::string cmd = "/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups " + ferry_binary();
  for (const auto& a : pack_args(4, 1)) cmd += " '" + a + "'";
  cmd += " > '" + (dir_ / "out") + "' 2>&1";
  int status = std::system(cmd.c_str());
  std::string out = slurp(dir_ / "out");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3) << out;
  EXPECT_NE(out.find("secret.txt"), std::string::npos) << out;
  EXPECT_NE(out.find("closed"), std::string::npos) << out;
  RunResult r = restore(drives(4), target());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(target() + "/ok.txt"));
  EXPECT_FALSE(fs::exists(target() + "/secret.txt"));
}

TEST_F(Hostile, AFullRestoreTargetFailsCleanlyAndTheSameRestoreCompletesLater) {
  big_source(6, 300000);
  ASSERT_EQ(run_ferry(pack_args(4, 1)).exit_code, 0);
  std::string small = dir_ / "small-target";
  if (!mount_tmpfs(small, "size=1m")) GTEST_SKIP() << "cannot mount tmpfs (not root?)";
  RunResult r = restore(drives(4), small);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("space"), std::string::npos) << r.err;
  // Nothing half-written under a final name, and no temporary debris.
  for (const auto& e : fs::directory_iterator(small)) {
    std::string name = e.path().filename();
    EXPECT_EQ(name.find(".ferry-tmp"), std::string::npos) << name;
    EXPECT_EQ(fs::file_size(e.path()), 300000u) << name << " is half written";
  }
  ASSERT_EQ(::mount("tmpfs", small.c_str(), "tmpfs", MS_REMOUNT, "size=16m"), 0);
  RunResult again = restore(drives(4), small);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(compare_trees(source(), small), "");
}

// Compressed files reach the target through the zstd path: a full target there is the
// same clear error, not a file reported lost.
TEST_F(Hostile, AFullRestoreTargetIsAnErrorForCompressedFilesToo) {
  std::string text;
  for (int i = 0; text.size() < 3000000; ++i) text += "row " + std::to_string(i) + ", a line of a sheet\n";
  for (int i = 0; i < 3; ++i) write_file(source(), "sheet" + std::to_string(i) + ".csv", text);
  ASSERT_EQ(run_ferry(pack_args(4, 1)).exit_code, 0);
  std::string small = dir_ / "small-target";
  if (!mount_tmpfs(small, "size=1m")) GTEST_SKIP() << "cannot mount tmpfs (not root?)";
  RunResult r = restore(drives(4), small);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("space"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("lost"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(small)) << "debris left in the target";
}

}  // namespace
}  // namespace ferry::test

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <cmath>
#include <string>

#include "ferry/error.h"
#include "io/file.h"
#include "plan/ferry_rate.h"
#include "plan/planner.h"
#include "pack/source_scan.h"
#include "support/temp_dir.h"
#include "util/threads.h"

namespace ferry::plan {
namespace {
using pack::scan_source;
using pack::SourceSummary;

PlanInput eighty_tb_on_four_22tb_drives() {
  PlanInput in;
  in.source_bytes = 80'000'000'000'000ull;
  in.drives = 4;
  in.parity = 1;
  in.drive_bytes = 22'000'000'000'000ull;
  return in;
}

TEST(PlanNetwork, EightyTerabytesOverOneGigabitIs640000Seconds) {
  EXPECT_DOUBLE_EQ(network_seconds_for(80'000'000'000'000ull, 125e6, 1.0), 640'000.0);
  EXPECT_DOUBLE_EQ(network_seconds_for(80'000'000'000'000ull, 125e6, 0.8), 800'000.0);

  PlanInput in = eighty_tb_on_four_22tb_drives();
  in.link_efficiency = 1.0;
  EXPECT_DOUBLE_EQ(make_plan(in).network_seconds, 640'000.0);
}

TEST(PlanCapacity, FourDrivesAtParityOneHoldJustUnderThreeDrivesWorth) {
  uint64_t usable = usable_bytes(4, 1, 22'000'000'000'000ull, 0);
  EXPECT_LT(usable, 66'000'000'000'000ull);  // k * size = 66 TB, less the format's overhead
  EXPECT_GT(usable, 65'990'000'000'000ull);  // which is under 0.01%
}

TEST(PlanCapacity, EachCatalogEntryCostsEveryDataDriveItsAllowance) {
  uint64_t empty = usable_bytes(4, 1, 22'000'000'000'000ull, 0);
  uint64_t million = usable_bytes(4, 1, 22'000'000'000'000ull, 1'000'000);
  // A million entries keep about 1 GiB on each of the 3 data drives' worth of space.
  EXPECT_NEAR(static_cast<double>(empty - million), 3.0 * 1'000'000 * kCatalogBytesPerEntry,
              3.0 * 1'048'640);
}

TEST(PlanCapacity, NothingFitsWithoutADataDriveOrOnATinyDrive) {
  EXPECT_EQ(usable_bytes(2, 2, 22'000'000'000'000ull, 0), 0u);
  EXPECT_EQ(usable_bytes(4, 1, 1000, 0), 0u);
}

TEST(PlanCapacity, EightyTerabytesDoNotFitOnFour22TerabyteDrivesAtParityOne) {
  Plan plan = make_plan(eighty_tb_on_four_22tb_drives());
  EXPECT_FALSE(plan.fits);
  EXPECT_EQ(plan.data_drives, 3);
  EXPECT_EQ(plan.usable_bytes, usable_bytes(4, 1, 22'000'000'000'000ull, 0));
}

TEST(PlanRecommendation, FourBagsNeedSixDrivesAtParityTwo) {
  PlanInput in = eighty_tb_on_four_22tb_drives();
  in.bags = 4;
  Plan plan = make_plan(in);
  ASSERT_TRUE(plan.recommendation);
  const Recommendation& r = *plan.recommendation;
  EXPECT_EQ(r.drives, 6);
  EXPECT_EQ(r.parity, 2);
  ASSERT_EQ(r.bags.size(), 4u);
  std::vector<std::vector<int>> expected = {{1, 5}, {2, 6}, {3}, {4}};
  EXPECT_EQ(r.bags, expected);
  size_t fullest = 0;
  for (const auto& bag : r.bags) fullest = std::max(fullest, bag.size());
  EXPECT_LE(fullest, 2u);
  EXPECT_LE(fullest, static_cast<size_t>(r.parity));  // losing a bag loses nothing
  EXPECT_GE(r.usable_bytes, in.source_bytes);
}

TEST(PlanRecommendation, OneBagNeedsOnlyCapacityAndTheParityAsked) {
  Plan plan = make_plan(eighty_tb_on_four_22tb_drives());
  ASSERT_TRUE(plan.recommendation);
  EXPECT_EQ(plan.recommendation->drives, 5);
  EXPECT_EQ(plan.recommendation->parity, 1);
  EXPECT_EQ(plan.recommendation->bags, (std::vector<std::vector<int>>{{1, 2, 3, 4, 5}}));
}

TEST(PlanRecommendation, NeverLessParityThanAsked) {
  PlanInput in = eighty_tb_on_four_22tb_drives();
  in.parity = 3;
  in.bags = 2;
  Plan plan = make_plan(in);
  ASSERT_TRUE(plan.recommendation);
  EXPECT_EQ(plan.recommendation->parity, 4);  // 8 drives in 2 bags: 4 per bag
  EXPECT_EQ(plan.recommendation->drives, 8);
}

TEST(PlanRecommendation, NoneWhenSixtyFourDrivesAreNotEnough) {
  PlanInput in = eighty_tb_on_four_22tb_drives();
  in.source_bytes = 2'000'000'000'000'000ull;  // 2 PB
  Plan plan = make_plan(in);
  EXPECT_FALSE(plan.recommendation);
  EXPECT_FALSE(plan.drives_win);
}

TEST(PlanTimes, OneHundredTwentyTerabytesWrittenOverSixDrivesTake80000Seconds) {
  // The total written, parity included, spread over all six drives.
  EXPECT_DOUBLE_EQ(pack_seconds_for(120e12, 6, 250e6), 80'000.0);
  EXPECT_DOUBLE_EQ(bytes_written_for(80'000'000'000'000ull, 6, 2), 120e12);
}

TEST(PlanTimes, PackRestoreAndDoorToDoorForSixDrives) {
  PlanInput in = eighty_tb_on_four_22tb_drives();
  in.drives = 6;
  in.parity = 2;
  in.ferry_bytes_per_second = 1e12;  // ferry is not the limit here
  in.link_efficiency = 1.0;
  Plan plan = make_plan(in);
  EXPECT_TRUE(plan.fits);
  EXPECT_EQ(plan.bytes_per_drive, 20'000'000'000'000ull);
  EXPECT_DOUBLE_EQ(plan.times.pack_seconds, 80'000.0);
  EXPECT_DOUBLE_EQ(plan.times.restore_seconds, 80'000.0);  // 80 TB / 4 drives / 250 MB/s
  EXPECT_DOUBLE_EQ(plan.times.door_to_door_seconds, 80'000.0 + 172'800.0 + 80'000.0);
  EXPECT_DOUBLE_EQ(plan.effective_bits_per_second, 80e12 * 8 / 332'800.0);
  EXPECT_TRUE(plan.drives_win);  // 332,800 s against 640,000 s
  EXPECT_DOUBLE_EQ(plan.verdict_door_to_door_seconds, 332'800.0);
}

TEST(PlanTimes, FerrysOwnRateLimitsFastDrives) {
  PlanInput in = eighty_tb_on_four_22tb_drives();
  in.drives = 6;
  in.parity = 2;
  in.drive_bytes_per_second = 10e9;
  Plan plan = make_plan(in);
  EXPECT_DOUBLE_EQ(plan.times.pack_seconds, 80e12 / kDefaultFerryRate);
  EXPECT_DOUBLE_EQ(plan.times.restore_seconds, 80e12 / kDefaultFerryRate);
}

TEST(PlanTimes, TheNetworkWinsForASmallSourceOnAFastLink) {
  PlanInput in = eighty_tb_on_four_22tb_drives();
  in.source_bytes = 1'000'000'000'000ull;
  in.link_bytes_per_second = 1.25e9;  // 10 Gbit/s: 1,000 s at 80%
  Plan plan = make_plan(in);
  EXPECT_TRUE(plan.fits);
  EXPECT_FALSE(plan.drives_win);
}

TEST(PlanInputCheck, RejectsLayoutsThatCannotExist) {
  auto rejects = [](PlanInput in) {
    try {
      make_plan(in);
    } catch (const Error& e) {
      return e.kind() == ErrorKind::kInvalidArgument;
    }
    return false;
  };
  PlanInput in = eighty_tb_on_four_22tb_drives();
  in.parity = 4;
  EXPECT_TRUE(rejects(in));
  in = eighty_tb_on_four_22tb_drives();
  in.drives = 65;
  EXPECT_TRUE(rejects(in));
  in = eighty_tb_on_four_22tb_drives();
  in.link_efficiency = 1.5;
  EXPECT_TRUE(rejects(in));
  in = eighty_tb_on_four_22tb_drives();
  in.bags = 0;
  EXPECT_TRUE(rejects(in));
  in = eighty_tb_on_four_22tb_drives();
  in.drive_bytes_per_second = 0;
  EXPECT_TRUE(rejects(in));
  // What pack refuses is not planned either: no parity, or a single drive.
  in = eighty_tb_on_four_22tb_drives();
  in.parity = 0;
  EXPECT_TRUE(rejects(in));
  in = eighty_tb_on_four_22tb_drives();
  in.drives = 1;
  in.parity = 0;
  EXPECT_TRUE(rejects(in));
}

void write_bytes(const std::string& path, size_t n) {
  io::File f = io::File::open_write(path, true);
  std::string data(n, 'x');
  f.write(data.data(), data.size());
  f.close();
}

TEST(ScanSource, CountsEveryEntryKindAndBytesWithoutFollowingSymlinks) {
  test::TempDir outside;  // what the symlinks point at: must not be counted
  write_bytes(outside / "big", 100'000);
  ::mkdir((outside / "dir").c_str(), 0755);
  write_bytes(outside / "dir/inner", 5000);

  test::TempDir tmp;
  const std::string& root = tmp.path();
  ::mkdir((tmp / "a").c_str(), 0755);
  ::mkdir((tmp / "a/b").c_str(), 0755);
  ::mkdir((tmp / "a/b/c").c_str(), 0755);
  ::mkdir((tmp / "empty").c_str(), 0755);
  write_bytes(tmp / "top", 10);
  write_bytes(tmp / "zero", 0);
  write_bytes(tmp / "a/one", 1000);
  write_bytes(tmp / "a/b/two", 2000);
  write_bytes(tmp / "a/b/c/three", 3000);
  for (int i = 0; i < 50; ++i) write_bytes(tmp / ("a/b/many" + std::to_string(i)), 7);
  ASSERT_EQ(::symlink((outside / "big").c_str(), (tmp / "link-to-file").c_str()), 0);
  ASSERT_EQ(::symlink((outside / "dir").c_str(), (tmp / "a/link-to-dir").c_str()), 0);
  ASSERT_EQ(::symlink("nowhere", (tmp / "a/b/dangling").c_str()), 0);
  ASSERT_EQ(::mkfifo((tmp / "fifo").c_str(), 0644), 0);

  ASSERT_EQ(::link((tmp / "a/one").c_str(), (tmp / "a/b/one-again").c_str()), 0);
  SourceSummary s = scan_source(root);
  EXPECT_EQ(s.files, 56u);
  // The second name of a file stores nothing: counted once, as pack stores it.
  EXPECT_EQ(s.bytes, 10u + 0 + 1000 + 2000 + 3000 + 50 * 7);
  EXPECT_EQ(s.directories, 4u);
  EXPECT_EQ(s.symlinks, 3u);
  EXPECT_EQ(s.others, 1u);
  EXPECT_EQ(s.unreadable, 0u);
}

TEST(ScanSource, AFileAsTheRootIsTheWholeSource) {
  test::TempDir tmp;
  write_bytes(tmp / "f", 1234);
  SourceSummary s = scan_source(tmp / "f");
  EXPECT_EQ(s.files, 1u);
  EXPECT_EQ(s.bytes, 1234u);
}

TEST(ScanSource, AMissingRootIsAnError) {
  test::TempDir tmp;
  EXPECT_THROW(scan_source(tmp / "missing"), Error);
}

TEST(ScanSource, AnUnreadableDirectoryIsCountedAndNamed) {
  test::TempDir tmp;
  ::chmod(tmp.path().c_str(), 0755);
  ::mkdir((tmp / "locked").c_str(), 0755);
  write_bytes(tmp / "locked/hidden", 99);
  write_bytes(tmp / "seen", 5);
  ::chmod((tmp / "locked").c_str(), 0);
  // Root reads every directory, so the scan runs in a child that gave up root.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    if (::geteuid() == 0 && (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0)) {
      ::_exit(2);
    }
    SourceSummary s = scan_source(tmp.path());
    std::string out = std::to_string(s.directories) + " " + std::to_string(s.files) + " " +
                      std::to_string(s.bytes) + " " + std::to_string(s.unreadable) + " " + s.first_error;
    (void)!::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the scanning child failed";
  std::istringstream in(out);
  uint64_t directories = 0, files = 0, bytes = 0, unreadable = 0;
  std::string first_error;
  in >> directories >> files >> bytes >> unreadable;
  std::getline(in, first_error);
  // Pack leaves a folder it cannot open out, with what is below it: so does the count.
  EXPECT_EQ(directories, 0u);
  EXPECT_EQ(files, 1u);
  EXPECT_EQ(bytes, 5u);
  EXPECT_EQ(unreadable, 1u);
  EXPECT_NE(first_error.find("locked"), std::string::npos) << first_error;
}

TEST(FerryRate, AGivenRateIsTakenAsItIsAndNothingIsMeasured) {
  FerryRate r = ferry_rate(std::string("1.5GB/s"), 3, 1);
  EXPECT_FALSE(r.measured);
  EXPECT_EQ(r.cores, 0);
  EXPECT_DOUBLE_EQ(r.bytes_per_second, 1.5e9);
  EXPECT_THROW(ferry_rate(std::string("fast"), 3, 1), Error);
}

TEST(FerryRate, WithoutOneTheCodecWorkIsMeasuredAndScaledToTheCores) {
  FerryRate r = ferry_rate(std::nullopt, 4, 2);
  EXPECT_TRUE(r.measured);
  EXPECT_EQ(r.cores, util::usable_cores());
  EXPECT_TRUE(std::isfinite(r.bytes_per_second) && r.bytes_per_second > 0) << r.bytes_per_second;
  // Every layout is measured, one the erasure code cannot hold as 3+1, none without parity.
  for (auto [k, m] : {std::pair{3, 1}, {4, 2}, {5, 0}, {0, 0}, {60, 10}}) {
    double ns = measure_ns_per_byte(k, m, 0.01);
    EXPECT_TRUE(std::isfinite(ns) && ns > 0) << k << "+" << m << ": " << ns;
  }
}

}  // namespace
}  // namespace ferry::plan

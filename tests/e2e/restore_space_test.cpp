// restore and pack check free space before writing: restore counts a sparse file's holes
// as nothing, pack compressible files as samples of them compress. The small target or
// drive is a size-limited tmpfs, which needs root to mount:
// without it the test is skipped.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "e2e/checks.h"
#include "e2e/fixture.h"

namespace ferry::test {
namespace {

class RestoreSpace : public ShipmentTest {
 protected:
  void SetUp() override {
    ShipmentTest::SetUp();
    small_ = dir_ / "small";
    ::mkdir(small_.c_str(), 0755);
    if (::mount("tmpfs", small_.c_str(), "tmpfs", 0, "size=4m") != 0) {
      GTEST_SKIP() << "cannot mount a small tmpfs here (needs root)";
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(small_.c_str(), MNT_DETACH);
  }
  std::string small_;
  bool mounted_ = false;
};

TEST_F(RestoreSpace, TooLittleRoomIsRefusedBeforeAnythingIsWrittenInHumanUnits) {
  write_file(source(), "big", random_bytes(6 << 20, 1));
  int fd = ::open((source() + "/sparse").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_EQ(::pwrite(fd, "end", 3, 64 << 20), 3);
  ::close(fd);
  ASSERT_EQ(pack(3, 1).exit_code, 0);

  RunResult r = restore(drives(3), small_ + "/all");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("free, but the files to restore take about 6.3 MB"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--no-space-check"), std::string::npos) << r.err;
  EXPECT_EQ(nothing_in(small_ + "/all"), "");

  // 64 MiB, all but 3 bytes a hole: it fits.
  RunResult sparse = restore(drives(3), small_ + "/sparse", {"--only", "sparse"});
  EXPECT_EQ(sparse.exit_code, 0) << sparse.err;
  EXPECT_EQ(read_all(small_ + "/sparse/sparse").size(), (64u << 20) + 3);
}

}  // namespace
}  // namespace ferry::test

namespace ferry::test {
namespace {

// pack's space check counts what compressible files compress to, from samples, when
// their own size does not fit; and says so.
TEST_F(RestoreSpace, PackCountsCompressibleFilesAsTheirSamplesCompress) {
  // 6.3 MB of text, more than the layout holds with a 4 MiB drive; compressed, less.
  write_file(source(), "sheet.csv", csv_text(6 << 20, 1));
  RunResult r = run_ferry({"pack", source(), "--parity", "1", "--key-file", key(), "--json", "--to",
                           drive(0), small_, drive(1)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto report = nlohmann::json::parse(r.out);
  EXPECT_NE(report["warnings"].dump().find("compressed, as estimated on the safe side from "
                                           "samples of 1 files"),
            std::string::npos)
      << r.out;
}

TEST_F(RestoreSpace, PackRefusesIncompressibleFilesThatDoNotFitInHumanUnits) {
  write_file(source(), "noise", random_bytes(10 << 20, 2));
  RunResult r = run_ferry(
      {"pack", source(), "--parity", "1", "--key-file", key(), "--to", drive(0), small_, drive(1)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the shipment does not fit: 10.5 MB of files on 3 drives"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--no-space-check"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ferry::test

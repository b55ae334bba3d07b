// pack --json and restore --json: stdout is one JSON report and nothing else (no
// progress line, no summary), with the same exit codes as without --json.
#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "e2e/checks.h"
#include "e2e/fixture.h"

namespace ferry::test {
namespace {

class JsonReport : public ShipmentTest {
 protected:
  void SetUp() override {
    ShipmentTest::SetUp();
    write_file(source(), "a.csv", csv_text(3 * kTestUnitPlain + 5, 1));
    write_file(source(), "dir/b.bin", random_bytes(2 * kTestUnitPlain + 7, 2));
    write_file(source(), "dir/empty", "");
    make_dir(source(), "dir/sub");
    make_symlink(source(), "link", "a.csv");
    // A FIFO with a name that is not UTF-8: skipped, and named safely.
    ASSERT_EQ(::mkfifo((source() + "/dir/fifo-\xff").c_str(), 0644), 0);
  }

  std::vector<std::string> pack_args(int n, int parity) {
    std::vector<std::string> args = {
        "pack",       source(), "--parity",     std::to_string(parity),
        "--key-file", key(),    "--block-size", std::to_string(kTestBlockKiB),
        "--json",     "--to"};
    for (const auto& d : drives(n)) args.push_back(d);
    return args;
  }

  std::vector<std::string> restore_args(const std::vector<std::string>& from,
                                        const std::string& to) {
    std::vector<std::string> args = {"restore"};
    args.insert(args.end(), from.begin(), from.end());
    args.insert(args.end(), {"--to", to, "--key-file", key(), "--json"});
    return args;
  }

  static nlohmann::json parsed(const RunResult& r) {
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "stdout is not one JSON document:\n" << r.out;
    return j;
  }

  static constexpr uint64_t kFileBytes = 3 * kTestUnitPlain + 5 + 2 * kTestUnitPlain + 7;
};

TEST_F(JsonReport, PackReportsTheShipment) {
  RunResult r = run_ferry(pack_args(4, 1));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = parsed(r);
  ASSERT_TRUE(j.is_object());

  nlohmann::json info = parsed(run_ferry({"info", drive(0), "--json"}));
  EXPECT_EQ(j.at("shipment"), info.at("shipment"));
  EXPECT_EQ(j.at("shipment").get<std::string>().size(), 32u);
  EXPECT_EQ(j.at("data_drives"), 3);
  EXPECT_EQ(j.at("parity_drives"), 1);
  EXPECT_EQ(j.at("files"), 3);
  EXPECT_EQ(j.at("directories"), 2);  // dir, dir/sub; the source folder itself is not counted
  EXPECT_EQ(j.at("symlinks"), 1);
  EXPECT_EQ(j.at("source_bytes"), kFileBytes);
  EXPECT_GT(j.at("stream_bytes").get<uint64_t>(), 0u);
  EXPECT_EQ(j.at("stripes"), info.at("stripes"));
  EXPECT_GE(j.at("seconds").get<double>(), 0.0);
  EXPECT_EQ(j.at("unreadable"), nlohmann::json::array());

  ASSERT_EQ(j.at("skipped").size(), 1u) << j.dump(2);
  const nlohmann::json& fifo = j.at("skipped")[0];
  EXPECT_EQ(fifo.at("path"), "dir/fifo-\\xff");
  EXPECT_EQ(fifo.at("path_hex"), "6469722f6669666f2dff");  // "dir/fifo-\xff"
  EXPECT_FALSE(fifo.at("reason").get<std::string>().empty());
  EXPECT_EQ(r.err, "");
}

TEST_F(JsonReport, PackAgainIsANoOpAndAFailureIsStillAnError) {
  nlohmann::json first = parsed(run_ferry(pack_args(4, 1)));
  EXPECT_EQ(first.at("already_complete"), false);
  EXPECT_EQ(first.at("resumed"), false);
  EXPECT_EQ(first.at("resumed_files"), 0);
  EXPECT_EQ(first.at("resumed_bytes"), 0);

  RunResult again = run_ferry(pack_args(4, 1));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  nlohmann::json j = parsed(again);
  EXPECT_EQ(j.at("already_complete"), true);
  EXPECT_EQ(j.at("shipment"), first.at("shipment"));

  RunResult bad = run_ferry(pack_args(4, 4));  // parity must be below the drive count
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  EXPECT_EQ(bad.out, "");
  EXPECT_NE(bad.err.find("ferry: error:"), std::string::npos) << bad.err;
}

TEST_F(JsonReport, RestoreReportsWhatWasWritten) {
  ASSERT_EQ(run_ferry(pack_args(4, 1)).exit_code, 0);
  std::string shipment = parsed(run_ferry({"info", drive(0), "--json"})).at("shipment");

  RunResult r = run_ferry(restore_args(drives(4), target()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = parsed(r);
  EXPECT_EQ(j.at("shipment"), shipment);
  EXPECT_EQ(j.at("target"), target());
  EXPECT_EQ(j.at("files"), 3);
  EXPECT_EQ(j.at("directories"), 2);
  EXPECT_EQ(j.at("symlinks"), 1);
  EXPECT_EQ(j.at("bytes"), kFileBytes);
  EXPECT_EQ(j.at("already_present"), 0);
  EXPECT_EQ(j.at("units_rebuilt"), 0);
  EXPECT_GE(j.at("seconds").get<double>(), 0.0);
  EXPECT_EQ(j.at("lost_files"), nlohmann::json::array());
  EXPECT_EQ(j.at("warnings"), nlohmann::json::array());
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(read_all(target() + "/dir/b.bin"), random_bytes(2 * kTestUnitPlain + 7, 2));

  // Again into the same target: everything is already there, and a file touched since
  // gets its packed time back.
  struct stat before;
  ASSERT_EQ(::stat((target() + "/dir/b.bin").c_str(), &before), 0);
  struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (target() + "/dir/b.bin").c_str(), now, 0), 0);
  RunResult again = run_ferry(restore_args(drives(4), target()));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(parsed(again).at("already_present"), 3);
  struct stat after;
  ASSERT_EQ(::stat((target() + "/dir/b.bin").c_str(), &after), 0);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);

  // Without drive 0: its blocks are rebuilt from parity on the fly.
  RunResult degraded = run_ferry(restore_args({drive(1), drive(2), drive(3)}, target("d")));
  ASSERT_EQ(degraded.exit_code, 0) << degraded.err;
  EXPECT_GT(parsed(degraded).at("units_rebuilt").get<uint64_t>(), 0u);
}

TEST_F(JsonReport, RestoreWarningsAreInTheReport) {
  ASSERT_EQ(run_ferry(pack_args(4, 1)).exit_code, 0);
  // Another shipment on drives 4..7; one of them is given with this shipment's drives.
  std::vector<std::string> other = {"pack",       source(), "--parity", "1",
                                    "--key-file", key(),    "--quiet",  "--to",
                                    drive(4),     drive(5), drive(6),   drive(7)};
  ASSERT_EQ(run_ferry(other).exit_code, 0);
  RunResult r =
      run_ferry(restore_args({drive(0), drive(1), drive(2), drive(3), drive(5)}, target()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = parsed(r);
  ASSERT_FALSE(j.at("warnings").empty()) << j.dump(2);
  EXPECT_NE(j.at("warnings").dump().find("drive5"), std::string::npos) << j.dump(2);
  EXPECT_EQ(r.err, "") << "with --json the warnings are in the report";
}

TEST_F(JsonReport, RestoreListsLostFilesAndExitsFour) {
  ASSERT_EQ(run_ferry(pack_args(4, 1)).exit_code, 0);
  // Two of four drives lose every block: with one parity drive, the data is gone.
  for (int d : {1, 2}) {
    for (const std::string& path : all_file_paths(drive(d))) {
      if (path.find("/segments/") == std::string::npos) continue;
      struct stat st;
      ASSERT_EQ(::stat(path.c_str(), &st), 0);
      std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(st.st_size, '\0');
    }
  }
  RunResult r = run_ferry(restore_args(drives(4), target()));
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  nlohmann::json j = parsed(r);
  ASSERT_FALSE(j.at("lost_files").empty()) << j.dump(2);
  for (const auto& lost : j.at("lost_files")) {
    std::string path = lost.get<std::string>();
    EXPECT_FALSE(path_exists(target() + "/" + path)) << path << " was written";
  }
  // stderr still says so, in one line.
  EXPECT_NE(r.err.find("could not be recovered"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("lost: "), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ferry::test

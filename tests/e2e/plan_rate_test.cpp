// `ferry plan` takes ferry's own rate from --ferry-rate when given, else measures it on
// the machine at hand, and says which it used.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/run.h"

namespace ferry::test {
namespace {

// 80 TB on 4 x 22 TB drives, parity 1.
std::vector<std::string> eighty_terabytes(std::vector<std::string> extra) {
  std::vector<std::string> args = {"plan",         "--size", "80TB",   "--files",
                                   "1000",         "--drives", "4",    "--drive-size",
                                   "22TB",         "--parity", "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(PlanRate, AGivenRateIsUsedAndSaidToBeGiven) {
  RunResult r = run_ferry(eighty_terabytes({"--ferry-rate", "100MB/s", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("ferry_rate").at("source"), "given");
  EXPECT_DOUBLE_EQ(j.at("ferry_rate").at("bytes_per_second").get<double>(), 100e6);
  // Slower than the drives: ferry's rate sets the pack's time.
  EXPECT_DOUBLE_EQ(j.at("pack_seconds").get<double>(), 80e12 / 100e6);

  RunResult human = run_ferry(eighty_terabytes({"--ferry-rate", "100MB/s"}));
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("100MB/s, as given with --ferry-rate"), std::string::npos)
      << human.out;
}

TEST(PlanRate, WithoutARateItIsMeasuredOnTheCoresAtHand) {
  RunResult r = run_ferry(eighty_terabytes({"--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("ferry_rate").at("source"), "measured");
  EXPECT_GE(j.at("ferry_rate").at("cores").get<int>(), 1);
  double rate = j.at("ferry_rate").at("bytes_per_second").get<double>();
  EXPECT_TRUE(std::isfinite(rate) && rate > 0) << rate;
  // The plan runs on the measured rate: the pack takes the longer of the drives' time
  // (a rate no machine reaches leaves only that) and the source at the measured rate.
  RunResult drives_only = run_ferry(eighty_terabytes({"--ferry-rate", "1000TB/s", "--json"}));
  ASSERT_EQ(drives_only.exit_code, 0) << drives_only.err;
  double writing = nlohmann::json::parse(drives_only.out).at("pack_seconds").get<double>();
  EXPECT_DOUBLE_EQ(j.at("pack_seconds").get<double>(), std::max(writing, 80e12 / rate));

  RunResult human = run_ferry(eighty_terabytes({}));
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("measured on this machine's"), std::string::npos) << human.out;
}

}  // namespace
}  // namespace ferry::test

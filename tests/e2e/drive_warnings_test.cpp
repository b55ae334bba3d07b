// pack warns when drives share a file system: folders of one disk are lost together.
#include <nlohmann/json.hpp>

#include "e2e/fixture.h"

namespace ferry::test {
namespace {

class DriveWarnings : public ShipmentTest {};

TEST_F(DriveWarnings, DrivesOnOneFileSystemAreNamedInOneWarning) {
  write_file(source(), "a", "x");
  RunResult json = pack(3, 1, {"--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto report = nlohmann::json::parse(json.out);
  ASSERT_FALSE(report["warnings"].empty()) << json.out;
  const std::string w = report["warnings"][0];
  EXPECT_EQ(w, "drives " + drive(0) + ", " + drive(1) + ", " + drive(2) +
                   " are on one file system: losing its disk loses 3 drives, and parity 1 "
                   "covers 1");
  RunResult text = pack(3, 1, {"--force"});
  EXPECT_NE(text.err.find("warning: drives " + drive(0)), std::string::npos) << text.err;
}

}  // namespace
}  // namespace ferry::test

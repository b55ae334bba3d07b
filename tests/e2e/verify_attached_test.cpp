// verify with drives not attached: drives that have not arrived are not damage.
// One drive checked alone reports its own state; damage on it is still data lost.
#include "e2e/damage.h"
#include "e2e/fixture.h"

namespace ferry::test {
namespace {

class VerifyAttached : public ShipmentTest {
 protected:
  void SetUp() override {
    ShipmentTest::SetUp();
    write_file(source(), "data", random_bytes(20 * kTestUnitPlain, 1));
    ASSERT_EQ(pack(4, 1).exit_code, 0);
  }
};

TEST_F(VerifyAttached, OneIntactDriveAloneIsIncompleteNotDataLost) {
  RunResult r = run_ferry({"verify", drive(2)});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_NE(r.out.find("verdict: incomplete"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 of 4 drives attached; attach 2 more"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("data lost"), std::string::npos) << r.out;
  auto json = nlohmann::json::parse(run_ferry({"verify", drive(2), drive(0), "--json"}).out);
  EXPECT_EQ(json["verdict"], "incomplete");
  EXPECT_EQ(json["drives_attached"], 2);
}

TEST_F(VerifyAttached, AnEmptyMountPointOrAPathNotThereIsADriveNotAttached) {
  make_dir(dir_.path(), "empty-mount");
  RunResult r = run_ferry({"verify", drive(0), drive(1), drive(3), dir_ / "empty-mount"});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  r = run_ferry({"verify", drive(0), drive(3), dir_ / "not-there"});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_EQ(r.out.find("data lost"), std::string::npos) << r.out;
}

TEST_F(VerifyAttached, KDrivesOfFourWithDamageOnOneAreDamaged) {
  flip_bit(segment_file(drive(1), 0), 200);
  RunResult r = run_ferry({"verify", drive(0), drive(1), drive(3)});
  EXPECT_EQ(r.exit_code, 4) << r.out;  // that stripe is short of k intact blocks
  r = run_ferry({"verify", drive(0), drive(1), drive(2), drive(3)});
  EXPECT_EQ(r.exit_code, 3) << r.out;
}

TEST_F(VerifyAttached, DamageOnTheDrivesAttachedIsStillDataLost) {
  flip_bit(segment_file(drive(2), 0), 200);
  RunResult r = run_ferry({"verify", drive(2)});
  EXPECT_EQ(r.exit_code, 4) << r.out;
}

TEST_F(VerifyAttached, KDrivesOfFourSayWhatIsMissingIsNotAttached) {
  RunResult r = run_ferry({"verify", drive(0), drive(1), drive(3)});
  EXPECT_EQ(r.exit_code, 5) << r.out;
  EXPECT_NE(r.out.find("verdict: incomplete"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("each rebuildable from the drives attached; none damaged"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("damaged but"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 of 4 drives attached; every stripe can be rebuilt from them; attach 1 "
                       "more to check parity"),
            std::string::npos)
      << r.out;
}

// All four given, one label unreadable: that drive is given, not missing, and the
// summary says so rather than ask for it to be attached.
TEST_F(VerifyAttached, ADriveGivenButUnusableIsNotCalledNotAttached) {
  const std::string label = format::label_path(shipment_folder(drive(3)));
  write_range(label, 0, "garbage");
  RunResult r = run_ferry({"verify", drive(0), drive(1), drive(2), drive(3)});
  EXPECT_NE(r.out.find("3 of 4 drives usable (1 more given, not usable: see above)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("drives attached"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ferry::test

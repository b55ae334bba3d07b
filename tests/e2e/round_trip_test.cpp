// Pack then restore through the real binary: byte- and metadata-exact, from any k.
#include <algorithm>

#include "e2e/fixture.h"

namespace ferry::test {
namespace {

class RoundTrip : public ShipmentTest {};

TEST_F(RoundTrip, OddTreeIsRestoredByteAndMetadataExact) {
  make_odd_tree(source(), kTestUnitPlain, 3 * kTestUnitPlain);
  RunResult p = pack(4, 1);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  RunResult r = restore(drives(4), target());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
}

TEST_F(RoundTrip, EachDriveOf3Plus1CanBeMissing) {
  make_odd_tree(source(), kTestUnitPlain, 3 * kTestUnitPlain);
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  for (int missing = 0; missing < 4; ++missing) {
    std::vector<std::string> present;
    for (int i = 0; i < 4; ++i) {
      if (i != missing) present.push_back(drive(i));
    }
    std::string to = target("without-" + std::to_string(missing));
    RunResult r = restore(present, to);
    ASSERT_EQ(r.exit_code, 0) << "drive " << missing << " missing: " << r.err;
    EXPECT_EQ(compare_trees(source(), to), "") << "drive " << missing << " missing";
  }
}

TEST_F(RoundTrip, EveryPairOf4Plus2CanBeMissingWithDrivesShuffled) {
  make_odd_tree(source(), kTestUnitPlain, 4 * kTestUnitPlain);
  ASSERT_EQ(pack(6, 2).exit_code, 0);
  for (int a = 0; a < 6; ++a) {
    for (int b = a + 1; b < 6; ++b) {
      std::vector<std::string> present;
      for (int i = 5; i >= 0; --i) {  // reversed: slots are read from the drives, not the order
        if (i != a && i != b) present.push_back(drive(i));
      }
      std::rotate(present.begin(), present.begin() + (a + b) % 4, present.end());
      std::string to = target("without-" + std::to_string(a) + std::to_string(b));
      RunResult r = restore(present, to);
      ASSERT_EQ(r.exit_code, 0) << a << "," << b << ": " << r.err;
      ASSERT_EQ(compare_trees(source(), to), "") << "drives " << a << " and " << b << " missing";
    }
  }
}

}  // namespace
}  // namespace ferry::test

// A pack stopped before it finished: every command that reads the shipment says so and
// how to go on, rather than take the drives for damaged or too few.
#include <gtest/gtest.h>

#include <atomic>

#include "e2e/fixture.h"
#include "ferry/error.h"
#include "ferry/pack.h"

namespace ferry::test {
namespace {

class UnfinishedPack : public ShipmentTest {
 protected:
  void SetUp() override {
    ShipmentTest::SetUp();
    write_file(source(), "data.bin", random_bytes(20 * kTestUnitPlain, 1));
    write_file(dir_.path(), "pass.txt", "an unfinished pack\n");
    PackOptions o;
    o.source = source();
    o.drives = drives(4);
    o.credentials.passphrase = "an unfinished pack";
    o.checkpoint_bytes = 1;  // the first checkpoint comes before the first block
    std::atomic<bool> stop{true};
    o.stop = &stop;
    Progress p;
    EXPECT_THROW(pack_shipment(o, p), Error);
  }
};

TEST_F(UnfinishedPack, LsRestoreAndVerifySayThePackWasInterrupted) {
  const std::string pass = dir_ / "pass.txt";
  std::vector<std::vector<std::string>> commands = {
      {"ls", "--passphrase-file", pass}, {"restore", "--to", dir_ / "out", "--passphrase-file", pass},
      {"verify"}};
  for (std::vector<std::string> args : commands) {
    for (const std::string& d : drives(4)) args.insert(args.begin() + 1, d);
    RunResult r = run_ferry(args);
    EXPECT_NE(r.exit_code, 0) << args[0];
    EXPECT_NE(r.err.find("was never finished (pack was interrupted); run the same `ferry pack`"),
              std::string::npos)
        << args[0] << ": " << r.err;
  }
}

}  // namespace
}  // namespace ferry::test

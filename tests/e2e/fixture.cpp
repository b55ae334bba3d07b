#include "e2e/fixture.h"

#include <sys/stat.h>

namespace ferry::test {

void ShipmentTest::SetUp() {
  ::mkdir(source().c_str(), 0755);
  for (int i = 0; i < 8; ++i) ::mkdir(drive(i).c_str(), 0755);
  ASSERT_EQ(run_ferry({"keygen", "-o", key()}).exit_code, 0);
}

std::vector<std::string> ShipmentTest::drives(int n) const {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(drive(i));
  return out;
}

RunResult ShipmentTest::pack(int n, int parity, std::vector<std::string> extra) {
  std::vector<std::string> args = {"pack", source(), "--parity", std::to_string(parity),
                                   "--key-file", key(), "--block-size",
                                   std::to_string(kTestBlockKiB), "--quiet", "--to"};
  for (const auto& d : drives(n)) args.push_back(d);
  args.insert(args.end(), extra.begin(), extra.end());
  return run_ferry(args);
}

RunResult ShipmentTest::restore(const std::vector<std::string>& from, const std::string& to,
                                std::vector<std::string> extra) {
  std::vector<std::string> args = {"restore"};
  args.insert(args.end(), from.begin(), from.end());
  args.insert(args.end(), {"--to", to, "--key-file", key(), "--quiet"});
  args.insert(args.end(), extra.begin(), extra.end());
  return run_ferry(args);
}

}  // namespace ferry::test

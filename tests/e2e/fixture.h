// Shared set-up for end-to-end tests: a temporary area with a source, N drive folders,
// a key file, and helpers to run pack and restore through the real binary.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/run.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry::test {

// 4 KiB blocks keep stripes small, so small trees span many stripes.
constexpr size_t kTestBlockKiB = 4;
constexpr size_t kTestUnitPlain = kTestBlockKiB * 1024 - 28;

class ShipmentTest : public ::testing::Test {
 protected:
  std::string source() const { return dir_ / "source"; }
  std::string key() const { return dir_ / "ship.key"; }
  std::string drive(int i) const { return dir_ / ("drive" + std::to_string(i)); }
  std::string target(const std::string& name = "restored") const { return dir_ / name; }
  std::vector<std::string> drives(int n) const;

  void SetUp() override;
  // Packs source() onto drives 0..n-1; expects exit 0.
  RunResult pack(int n, int parity, std::vector<std::string> extra = {});
  RunResult restore(const std::vector<std::string>& drives, const std::string& to,
                    std::vector<std::string> extra = {});

  TempDir dir_;
};

}  // namespace ferry::test

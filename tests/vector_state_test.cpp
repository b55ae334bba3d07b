// ISA-L's AVX-512 routines leave the upper halves of the vector registers in use, which
// slows every later SHA-NI instruction of the thread (and of the threads it starts) by a
// quarter. ferry's wrappers clear that state after each call; here the CPU itself (its
// XINUSE register) says whether they did. Machines whose CPU cannot say skip the check.
#include <cpuid.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "codec/crc32c.h"
#include "codec/erasure.h"
#include "codec/vector_state.h"

namespace ferry::codec {
namespace {

// Whether the upper halves of ymm0-15 or zmm0-15 are in use (XINUSE bits 2 and 6), or
// nothing where the CPU does not report XINUSE.
std::optional<bool> upper_state_in_use() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(0xD, 1, &a, &b, &c, &d) || !(a & (1u << 2))) return std::nullopt;
  uint32_t low = 0, high = 0;
  asm volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(1));
  return (low & ((1u << 2) | (1u << 6))) != 0;
}

constexpr const char* kCannotTell = "this CPU does not report which register state is in use";

TEST(VectorState, ClearingIsSeenByTheCpu) {
  if (!upper_state_in_use()) GTEST_SKIP() << kCannotTell;
  clear_upper_vector_state();
  EXPECT_FALSE(*upper_state_in_use());
}

TEST(VectorState, Crc32cLeavesItClear) {
  if (!upper_state_in_use()) GTEST_SKIP() << kCannotTell;
  std::vector<uint8_t> block(1 << 16, 0x5A);
  clear_upper_vector_state();
  crc32c(block.data(), block.size());
  EXPECT_FALSE(*upper_state_in_use());
}

TEST(VectorState, ReedSolomonLeavesItClear) {
  if (!upper_state_in_use()) GTEST_SKIP() << kCannotTell;
  const size_t len = 1 << 16;
  std::vector<std::vector<uint8_t>> fragments(4, std::vector<uint8_t>(len, 0x3C));
  uint8_t* data[3] = {fragments[0].data(), fragments[1].data(), fragments[2].data()};
  uint8_t* parity[1] = {fragments[3].data()};
  ReedSolomon rs(3, 1);
  clear_upper_vector_state();
  rs.encode(len, data, parity);
  EXPECT_FALSE(*upper_state_in_use());
  uint8_t* all[4] = {data[0], data[1], data[2], parity[0]};
  clear_upper_vector_state();
  ASSERT_TRUE(rs.reconstruct(len, all, 0b1110));  // fragment 0 rebuilt from the others
  EXPECT_FALSE(*upper_state_in_use());
}

}  // namespace
}  // namespace ferry::codec

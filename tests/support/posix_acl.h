// POSIX ACLs as the kernel stores them in system.posix_acl_*, built for tests: version 2,
// then entries of tag (u16), permissions (u16) and id (u32), little-endian.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <tuple>

namespace ferry::test {

constexpr uint16_t kAclUserObj = 0x01, kAclUser = 0x02, kAclGroupObj = 0x04, kAclGroup = 0x08,
                   kAclMask = 0x10, kAclOther = 0x20;
constexpr uint32_t kAclNoId = 0xffffffff;

inline std::string acl(std::initializer_list<std::tuple<uint16_t, uint16_t, uint32_t>> entries) {
  std::string out = {2, 0, 0, 0};
  for (auto [tag, perm, id] : entries) {
    for (uint32_t v : {uint32_t(tag) | uint32_t(perm) << 16, id}) {
      for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>(v >> (8 * b)));
    }
  }
  return out;
}

}  // namespace ferry::test

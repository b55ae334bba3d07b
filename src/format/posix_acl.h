// Linux POSIX ACLs as the kernel exchanges them in the extended attributes
// system.posix_acl_access and system.posix_acl_default: a little-endian version word (2),
// then 8-byte entries {u16 tag, u16 permissions, u32 id}. Only the entries naming a user
// (tag 2) or a group (tag 8) carry an id. Pack records the names of those ids, as it does
// owners', so that restore can give the same people the same rights on a machine that
// numbers them differently.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ferry::format {

bool is_posix_acl(const std::string& xattr_name);

struct AclNamedId {
  bool group;  // a group's entry, else a user's
  uint32_t id;
};

// The ids the ACL names, in its order; empty when `value` is not a well-formed ACL.
std::vector<AclNamedId> acl_named_ids(const std::string& value);

// `value` with each named entry's id replaced by map(group, id), in the order the kernel
// asks for; a value that is not a well-formed ACL comes back unchanged (the target then
// judges it, as any attribute).
std::string remap_acl_ids(const std::string& value,
                          const std::function<uint32_t(bool group, uint32_t id)>& map);

}  // namespace ferry::format

#include "format/posix_acl.h"

#include <algorithm>

namespace ferry::format {
namespace {

constexpr size_t kAclHeader = 4, kAclEntry = 8;
constexpr uint32_t kAclVersion = 2;
constexpr uint16_t kAclTagUser = 0x02, kAclTagGroup = 0x08;

// The little-endian word of `bytes` bytes at `at`.
uint32_t acl_word(const std::string& s, size_t at, int bytes) {
  uint32_t v = 0;
  for (int b = bytes - 1; b >= 0; --b) v = v << 8 | static_cast<uint8_t>(s[at + b]);
  return v;
}

bool is_well_formed_acl(const std::string& value) {
  return value.size() >= kAclHeader && (value.size() - kAclHeader) % kAclEntry == 0 &&
         acl_word(value, 0, 4) == kAclVersion;
}

bool names_someone(uint16_t tag) { return tag == kAclTagUser || tag == kAclTagGroup; }

}  // namespace

bool is_posix_acl(const std::string& xattr_name) {
  return xattr_name == "system.posix_acl_access" || xattr_name == "system.posix_acl_default";
}

std::vector<AclNamedId> acl_named_ids(const std::string& value) {
  std::vector<AclNamedId> out;
  if (!is_well_formed_acl(value)) return out;
  for (size_t at = kAclHeader; at < value.size(); at += kAclEntry) {
    const auto tag = static_cast<uint16_t>(acl_word(value, at, 2));
    if (names_someone(tag)) out.push_back({tag == kAclTagGroup, acl_word(value, at + 4, 4)});
  }
  return out;
}

std::string remap_acl_ids(const std::string& value,
                          const std::function<uint32_t(bool group, uint32_t id)>& map) {
  if (!is_well_formed_acl(value)) return value;
  struct Entry {
    uint16_t tag;
    uint32_t id;
    std::string bytes;
  };
  std::vector<Entry> entries;
  for (size_t at = kAclHeader; at < value.size(); at += kAclEntry) {
    Entry e{static_cast<uint16_t>(acl_word(value, at, 2)), acl_word(value, at + 4, 4),
            value.substr(at, kAclEntry)};
    if (names_someone(e.tag)) {
      e.id = map(e.tag == kAclTagGroup, e.id);
      for (int b = 0; b < 4; ++b) e.bytes[4 + b] = static_cast<char>(e.id >> (8 * b));
    }
    entries.push_back(std::move(e));
  }
  // The kernel takes entries in order of tag, and a tag's named entries in order of id:
  // new numbers may not keep the old order.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.tag != b.tag ? a.tag < b.tag : names_someone(a.tag) && a.id < b.id;
  });
  std::string out = value.substr(0, kAclHeader);
  for (const Entry& e : entries) out += e.bytes;
  return out;
}

}  // namespace ferry::format

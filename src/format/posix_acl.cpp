#include "format/posix_acl.h"

#include <algorithm>

namespace ferry::format {
namespace {

constexpr size_t kHeader = 4, kEntry = 8;
constexpr uint32_t kVersion = 2;
constexpr uint16_t kTagUser = 0x02, kTagGroup = 0x08;

uint32_t le(const std::string& s, size_t at, int bytes) {
  uint32_t v = 0;
  for (int b = bytes - 1; b >= 0; --b) v = v << 8 | static_cast<uint8_t>(s[at + b]);
  return v;
}

bool well_formed(const std::string& value) {
  return value.size() >= kHeader && (value.size() - kHeader) % kEntry == 0 &&
         le(value, 0, 4) == kVersion;
}

}  // namespace

bool is_posix_acl(const std::string& xattr_name) {
  return xattr_name == "system.posix_acl_access" || xattr_name == "system.posix_acl_default";
}

std::vector<AclNamedId> acl_named_ids(const std::string& value) {
  std::vector<AclNamedId> out;
  if (!well_formed(value)) return out;
  for (size_t at = kHeader; at < value.size(); at += kEntry) {
    const uint16_t tag = static_cast<uint16_t>(le(value, at, 2));
    if (tag == kTagUser || tag == kTagGroup) out.push_back({tag == kTagGroup, le(value, at + 4, 4)});
  }
  return out;
}

std::string remap_acl_ids(const std::string& value,
                          const std::function<uint32_t(bool group, uint32_t id)>& map) {
  if (!well_formed(value)) return value;
  struct Entry {
    uint16_t tag;
    uint32_t id;
    std::string bytes;
  };
  std::vector<Entry> entries;
  for (size_t at = kHeader; at < value.size(); at += kEntry) {
    Entry e{static_cast<uint16_t>(le(value, at, 2)), le(value, at + 4, 4), value.substr(at, kEntry)};
    if (e.tag == kTagUser || e.tag == kTagGroup) {
      e.id = map(e.tag == kTagGroup, e.id);
      for (int b = 0; b < 4; ++b) e.bytes[4 + b] = static_cast<char>(e.id >> (8 * b));
    }
    entries.push_back(std::move(e));
  }
  // The kernel takes entries in order of tag, and a tag's named entries in order of id:
  // new numbers may not keep the old order.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.tag != b.tag ? a.tag < b.tag : (a.tag == kTagUser || a.tag == kTagGroup) && a.id < b.id;
  });
  std::string out = value.substr(0, kHeader);
  for (const Entry& e : entries) out += e.bytes;
  return out;
}

}  // namespace ferry::format

#include "export/tar_header.h"

#include <cstdio>
#include <cstring>

#include "util/ns_time.h"

namespace ferry::exporting {
namespace {

constexpr uint64_t kOctal11Max = 077777777777ull;  // what 11 octal digits hold

// Writes `value` as `width - 1` octal digits and a NUL into `field`.
void put_octal(char* field, size_t width, uint64_t value) {
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                static_cast<unsigned long long>(value));
}

bool is_ascii(const std::string& text) {
  for (unsigned char c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

// The ustar split of `name` into prefix (<= 155) and name (<= 100) at a '/', or false.
bool ustar_split(const std::string& name, std::string& prefix, std::string& rest) {
  if (name.size() <= 100) {
    prefix.clear();
    rest = name;
    return true;
  }
  for (size_t slash = std::min<size_t>(name.size(), 156); slash-- > 0;) {
    if (name[slash] != '/') continue;
    if (name.size() - slash - 1 > 100 || slash + 1 == name.size()) return false;
    prefix = name.substr(0, slash);
    rest = name.substr(slash + 1);
    return true;
  }
  return false;
}

// One pax record: "LEN key=value\n", LEN counting the whole record, itself included.
std::string pax_record(const std::string& key, const std::string& value) {
  size_t base = key.size() + value.size() + 3;  // ' ', '=', '\n'
  size_t len = base + 1;
  while (len != base + std::to_string(len).size()) len = base + std::to_string(len).size();
  return std::to_string(len) + " " + key + "=" + value + "\n";
}

std::string ustar_block(const std::string& prefix, const std::string& name, uint64_t size,
                        uint32_t mode, uint64_t mtime, char type) {
  char b[kTarBlock];
  std::memset(b, 0, sizeof b);
  std::memcpy(b, name.data(), std::min<size_t>(name.size(), 100));
  put_octal(b + 100, 8, mode & 07777);
  put_octal(b + 108, 8, 0);  // uid
  put_octal(b + 116, 8, 0);  // gid
  put_octal(b + 124, 12, size);
  put_octal(b + 136, 12, mtime);
  b[156] = type;
  std::memcpy(b + 257, "ustar", 6);  // magic with its NUL
  std::memcpy(b + 263, "00", 2);     // version
  std::memcpy(b + 345, prefix.data(), std::min<size_t>(prefix.size(), 155));
  std::memset(b + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : b) sum += c;
  std::snprintf(b + 148, 8, "%06o", sum);  // six digits, NUL, and the space already there
  b[155] = ' ';
  return std::string(b, sizeof b);
}

}  // namespace

bool is_utf8(const std::string& text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size(), i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t j = 1; j <= extra; ++j) {
      if (i + j >= n || (s[i + j] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + j] & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::string tar_header(const TarMember& m) {
  std::string prefix, rest;
  const int64_t mtime = util::timespec_of(m.mtime_ns).tv_sec;
  // UTF-8 beyond ASCII goes to pax, where readers know it is UTF-8; other bytes stay raw
  // in ustar when they fit, as GNU tar keeps them (its pax reader ignores hdrcharset).
  const bool name_fits =
      (is_ascii(m.name) || !is_utf8(m.name)) && ustar_split(m.name, prefix, rest);
  const bool size_fits = m.size <= kOctal11Max;
  const bool mtime_fits = mtime >= 0 && static_cast<uint64_t>(mtime) <= kOctal11Max;
  if (name_fits && size_fits && mtime_fits) {
    return ustar_block(prefix, rest, m.size, m.mode, static_cast<uint64_t>(mtime), '0');
  }
  std::string records;
  if (!name_fits) {
    if (!is_utf8(m.name)) records += pax_record("hdrcharset", "BINARY");
    records += pax_record("path", m.name);
  }
  if (!size_fits) records += pax_record("size", std::to_string(m.size));
  if (!mtime_fits) records += pax_record("mtime", std::to_string(mtime));
  // The pax header's own name, and the ustar fallbacks a reader without pax would use.
  std::string base = m.name.substr(m.name.rfind('/') + 1);
  std::string pax_name = "PaxHeaders/" + base.substr(0, 89);
  if (!is_ascii(pax_name)) pax_name = "PaxHeaders/member";
  std::string out = ustar_block("", pax_name, records.size(), 0644,
                                mtime_fits ? static_cast<uint64_t>(mtime) : 0, 'x');
  out += records;
  out.append(tar_padding(records.size()), '\0');
  if (!name_fits) {
    prefix.clear();
    rest = is_ascii(base) ? base.substr(0, 100) : "member";
  }
  out += ustar_block(prefix, rest, size_fits ? m.size : 0, m.mode,
                     mtime_fits ? static_cast<uint64_t>(mtime) : 0, '0');
  return out;
}

uint64_t tar_member_bytes(const TarMember& member) {
  return tar_header(member).size() + member.size + tar_padding(member.size);
}

}  // namespace ferry::exporting

#include "util/display.h"

#include <cstdio>
#include <ctime>

#include "util/ns_time.h"

namespace ferry::util {

std::string shown(const std::string& raw) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    // Pass valid multi-byte UTF-8 sequences through; escape everything else odd.
    int extra = c >= 0xF0 && c < 0xF5 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : 0;
    if (c >= 0x80 && extra && i + extra < raw.size() + 0) {
      bool ok = true;
      for (int j = 1; j <= extra; ++j) {
        if (i + j >= raw.size() || (static_cast<unsigned char>(raw[i + j]) & 0xC0) != 0x80) ok = false;
      }
      if (ok) {
        out.append(raw, i, extra + 1);
        i += extra;
        continue;
      }
    }
    if (c < 0x20 || c == 0x7F || c >= 0x80 || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string utc_time(int64_t ns) {
  const time_t t = timespec_of(ns).tv_sec;
  struct tm tm {};
  char text[40];
  if (!::gmtime_r(&t, &tm) || std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
    return std::to_string(ns) + " ns";
  }
  return text;
}

}  // namespace ferry::util

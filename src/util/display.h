// Paths are raw bytes, times nanoseconds: these show them in messages.
#pragma once

#include <cstdint>
#include <string>

namespace ferry::util {

// Valid UTF-8 passes through; control bytes, backslashes and invalid bytes become \xNN.
std::string shown(const std::string& raw_path);

// "YYYY-MM-DD HH:MM:SS" in UTC, of nanoseconds since 1970 (before it too).
std::string utc_time(int64_t ns);

}  // namespace ferry::util

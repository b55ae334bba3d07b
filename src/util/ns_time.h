// Catalog times are nanoseconds since 1970 (signed: 1677 to 2262); stat, the system
// calls and the formats take seconds and nanoseconds. The conversions both ways, for all
// of them: into the catalog the nearest end of the range for a time beyond it; out of it
// rounding down (a time before 1970 keeps a nanosecond part in [0, 1e9)), with no step
// that negates the count (INT64_MIN has no negation).
#pragma once

#include <time.h>

#include <cstdint>

namespace ferry::util {

// Whether a stat time fits the catalog's nanoseconds since the epoch.
inline bool ns_fits(const struct timespec& t) {
  constexpr int64_t kMostSeconds = INT64_MAX / 1000000000 - 1;
  return t.tv_sec >= -kMostSeconds && t.tv_sec <= kMostSeconds;
}
// A stat time as the catalog keeps it; one beyond the range is the nearest end of it.
inline int64_t ns_of(const struct timespec& t) {
  if (!ns_fits(t)) return t.tv_sec < 0 ? INT64_MIN : INT64_MAX;
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

// A catalog time as the system calls take it.
inline struct timespec timespec_of(int64_t ns) {
  struct timespec t;
  t.tv_sec = static_cast<time_t>(ns / 1000000000);
  t.tv_nsec = static_cast<long>(ns % 1000000000);
  if (t.tv_nsec < 0) {
    t.tv_nsec += 1000000000;
    --t.tv_sec;
  }
  return t;
}

}  // namespace ferry::util

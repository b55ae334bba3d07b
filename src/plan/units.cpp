#include "plan/units.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>

#include "ferry/error.h"

namespace ferry::plan {
namespace {

using u128 = unsigned __int128;

// What each kind of quantity looks like, for error messages.
constexpr const char* kSizeExamples = "80TB, 7.5TiB or 500GB";
constexpr const char* kRateExamples = "250MB/s, 1Gbit/s or 10Gbps";
constexpr const char* kDurationExamples = "12h, 3d or 1d12h";

[[noreturn]] void reject(std::string_view what, std::string_view text, const std::string& why,
                         const char* examples) {
  throw Error(ErrorKind::kInvalidArgument, "'" + std::string(text) + "' is not a " +
                                               std::string(what) + " (" + why +
                                               "); write one such as " + examples);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A decimal number as written: digits with an optional fraction, no sign, no exponent.
struct Decimal {
  std::string_view digits;  // the number exactly as written, e.g. "7.5"
  u128 mantissa = 0;        // 75
  int fraction_digits = 0;  // 1
};

// Takes the leading number off `rest`. Thirty significant digits are kept exactly (they
// fit the 128-bit mantissa); more than that is not a quantity anyone means.
std::optional<Decimal> take_number(std::string_view& rest, std::string& why) {
  size_t i = 0;
  Decimal d;
  int significant = 0;
  bool any_digit = false, point = false;
  for (; i < rest.size(); ++i) {
    char c = rest[i];
    if (c == '.' && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      any_digit = true;
      if (significant > 0 || c != '0') ++significant;
      if (significant > 30) {
        why = "too many digits";
        return std::nullopt;
      }
      d.mantissa = d.mantissa * 10 + static_cast<unsigned>(c - '0');
      if (point) ++d.fraction_digits;
    } else {
      break;
    }
  }
  if (!any_digit) {
    if (!rest.empty() && rest[0] == '-') {
      why = "it must not be negative";
    } else if (rest.empty()) {
      why = "a number is missing";
    } else {
      why = "it does not start with a number";
    }
    return std::nullopt;
  }
  d.digits = rest.substr(0, i);
  rest.remove_prefix(i);
  return d;
}

double to_double(const Decimal& d) {
  double value = 0;
  // from_chars rounds correctly, so a number formatted with to_chars comes back exact.
  std::from_chars(d.digits.data(), d.digits.data() + d.digits.size(), value);
  return value;
}

u128 pow10(int n) {
  u128 p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

struct SizeUnit {
  const char* name;
  uint64_t bytes;
};

constexpr SizeUnit kDecimalUnits[] = {{"kB", 1000ull},
                                      {"MB", 1'000'000ull},
                                      {"GB", 1'000'000'000ull},
                                      {"TB", 1'000'000'000'000ull},
                                      {"PB", 1'000'000'000'000'000ull}};
constexpr SizeUnit kBinaryUnits[] = {{"KiB", 1ull << 10},
                                     {"MiB", 1ull << 20},
                                     {"GiB", 1ull << 30},
                                     {"TiB", 1ull << 40},
                                     {"PiB", 1ull << 50}};

std::optional<uint64_t> size_unit(std::string_view unit) {
  if (unit == "B") return 1;
  if (unit == "KB") return 1000;
  for (const auto& u : kDecimalUnits) {
    if (unit == u.name) return u.bytes;
  }
  for (const auto& u : kBinaryUnits) {
    if (unit == u.name) return u.bytes;
  }
  return std::nullopt;
}

// Why a unit was not understood as a size, with the likely intent when there is one.
std::string unknown_size_unit(std::string_view unit) {
  std::string why = "unknown unit '" + std::string(unit) + "'";
  std::string as_bytes = std::string(unit.substr(0, unit.size() - 1)) + "B";
  if (unit.size() > 1 && unit.back() == 'b' && size_unit(as_bytes)) {
    return why + ": a lowercase b means bits, write " + as_bytes + " for bytes";
  }
  if (unit.size() == 1 && std::string_view("kKMGTP").find(unit[0]) != std::string_view::npos) {
    std::string decimal = unit[0] == 'K' ? "kB" : std::string(unit) + "B";
    std::string binary = (unit[0] == 'k' ? "K" : std::string(unit)) + "iB";
    return why + ": say " + decimal + " for powers of 1000 or " + binary + " for powers of 1024";
  }
  return why;
}

std::optional<double> bit_prefix(std::string_view prefix) {
  if (prefix.empty()) return 1.0;
  if (prefix == "k" || prefix == "K") return 1e3;
  if (prefix == "M") return 1e6;
  if (prefix == "G") return 1e9;
  if (prefix == "T") return 1e12;
  if (prefix == "Ki") return 1024.0;
  if (prefix == "Mi") return 1048576.0;
  if (prefix == "Gi") return 1073741824.0;
  if (prefix == "Ti") return 1099511627776.0;
  return std::nullopt;
}

bool strip_suffix(std::string_view& s, std::string_view suffix) {
  if (s.size() < suffix.size() || s.substr(s.size() - suffix.size()) != suffix) return false;
  s.remove_suffix(suffix.size());
  return true;
}

// Bytes per second that one unit of `unit` stands for, or nullopt.
std::optional<double> rate_unit(std::string_view unit) {
  std::string_view base = unit;
  if (strip_suffix(base, "bit/s") || strip_suffix(base, "bps") || strip_suffix(base, "b/s")) {
    if (auto p = bit_prefix(base)) return *p / 8;
    return std::nullopt;
  }
  base = unit;
  if (strip_suffix(base, "/s") || strip_suffix(base, "ps")) {
    if (auto bytes = size_unit(base)) return static_cast<double>(*bytes);
  }
  return std::nullopt;
}

std::optional<double> duration_unit(std::string_view unit) {
  if (unit == "s" || unit == "sec") return 1.0;
  if (unit == "m" || unit == "min") return 60.0;
  if (unit == "h" || unit == "hr") return 3600.0;
  if (unit == "d" || unit == "day" || unit == "days") return 86400.0;
  if (unit == "w") return 604800.0;
  return std::nullopt;
}

std::string shortest(double value) {
  char buf[400];
  // Fixed notation: parse_* reads no exponents.
  auto result = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
  return std::string(buf, result.ptr);
}

// `integer` + "." + `fraction` with the fraction's trailing zeros dropped; fraction has
// exactly `width` digits before that.
std::string decimal_text(uint64_t integer, u128 fraction, int width) {
  std::string text = std::to_string(integer);
  if (fraction == 0) return text;
  std::string digits(width, '0');
  for (int i = width - 1; i >= 0; --i, fraction /= 10) {
    digits[i] = static_cast<char>('0' + static_cast<int>(fraction % 10));
  }
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return text + "." + digits;
}

}  // namespace

uint64_t parse_bytes(std::string_view text) {
  std::string_view rest = trim(text);
  std::string why;
  auto number = take_number(rest, why);
  if (!number) reject("size", text, why, kSizeExamples);
  std::string_view unit = trim(rest);
  auto multiplier = unit.empty() ? std::optional<uint64_t>(1) : size_unit(unit);
  if (!multiplier) reject("size", text, unknown_size_unit(unit), kSizeExamples);
  // Exact arithmetic: 7.5TiB is 7.5 * 2^40 bytes to the byte, rounded half up.
  if (number->mantissa > ~u128{0} / *multiplier) reject("size", text, "too large", kSizeExamples);
  u128 scaled = number->mantissa * *multiplier;
  u128 divisor = pow10(number->fraction_digits);
  u128 bytes = (scaled + divisor / 2) / divisor;
  if (bytes > UINT64_MAX) reject("size", text, "too large", kSizeExamples);
  return static_cast<uint64_t>(bytes);
}

double parse_rate(std::string_view text) {
  std::string_view rest = trim(text);
  std::string why;
  auto number = take_number(rest, why);
  if (!number) reject("rate", text, why, kRateExamples);
  std::string_view unit = trim(rest);
  if (unit.empty()) {
    reject("rate", text, "a unit is missing: bytes (MB/s) or bits (Mbit/s)?", kRateExamples);
  }
  auto per_unit = rate_unit(unit);
  if (!per_unit) reject("rate", text, "unknown unit '" + std::string(unit) + "'", kRateExamples);
  double rate = to_double(*number) * *per_unit;
  if (!(rate > 0)) reject("rate", text, "it must be more than zero", kRateExamples);
  return rate;
}

double parse_duration(std::string_view text) {
  std::string_view rest = trim(text);
  std::string why;
  double seconds = 0;
  bool first = true;
  while (first || !rest.empty()) {
    auto number = take_number(rest, why);
    if (!number) reject("duration", text, why, kDurationExamples);
    rest = trim(rest);
    size_t letters = 0;
    while (letters < rest.size() && std::isalpha(static_cast<unsigned char>(rest[letters]))) {
      ++letters;
    }
    std::string_view unit = rest.substr(0, letters);
    rest = trim(rest.substr(letters));
    if (unit.empty() && !(first && rest.empty())) {
      reject("duration", text,
             rest.empty() ? "a unit is missing after " + std::string(number->digits)
                          : "unexpected '" + std::string(rest) + "'",
             kDurationExamples);
    }
    auto per_unit = unit.empty() ? std::optional<double>(1.0) : duration_unit(unit);
    if (!per_unit) {
      reject("duration", text, "unknown unit '" + std::string(unit) + "'", kDurationExamples);
    }
    seconds += to_double(*number) * *per_unit;
    first = false;
  }
  if (!std::isfinite(seconds)) reject("duration", text, "too large", kDurationExamples);
  return seconds;
}

std::string approx_bytes(uint64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 6) {
    v /= 1000;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return text;
}

std::string format_bytes(uint64_t bytes) {
  std::string best = std::to_string(bytes) + "B";
  auto consider = [&best](std::string candidate) {
    if (candidate.size() < best.size()) best = std::move(candidate);
  };
  for (const auto& u : kDecimalUnits) {
    if (bytes < u.bytes) break;
    int width = 0;
    for (uint64_t x = u.bytes; x > 1; x /= 10) ++width;
    consider(decimal_text(bytes / u.bytes, bytes % u.bytes, width) + u.name);
  }
  for (const auto& u : kBinaryUnits) {
    if (bytes < u.bytes) break;
    // A binary fraction ends in decimal, but may need many digits; only a few read well.
    u128 remainder = bytes % u.bytes;
    for (int width = 0; width <= 4; ++width) {
      u128 scaled = remainder * pow10(width);
      if (scaled % u.bytes == 0) {
        consider(decimal_text(bytes / u.bytes, scaled / u.bytes, width) + u.name);
        break;
      }
    }
  }
  return best;
}

std::string format_rate(double bytes_per_second) {
  const char* names[] = {"B/s", "kB/s", "MB/s", "GB/s", "TB/s", "PB/s"};
  double scale = 1;
  int u = 0;
  while (u < 5 && bytes_per_second >= scale * 1000) {
    scale *= 1000;
    ++u;
  }
  std::string text = shortest(bytes_per_second / scale) + names[u];
  // Dividing by the unit can lose the last bit; then the plain figure is the exact one.
  if (u > 0 && parse_rate(text) != bytes_per_second) text = shortest(bytes_per_second) + "B/s";
  return text;
}

std::string format_bit_rate(double bytes_per_second) {
  const char* names[] = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};
  double bits = bytes_per_second * 8;
  double scale = 1;
  int u = 0;
  while (u < 4 && bits >= scale * 1000) {
    scale *= 1000;
    ++u;
  }
  if (u == 0) {
    // Below 1 kbit/s (a trip's break-even over a tiny set) exact figures only show the
    // product by 8's rounding (0.0035600000000000002): six significant digits.
    char text[40];
    std::snprintf(text, sizeof text, "%.6gbit/s", bits);
    return text;
  }
  std::string text = shortest(bits / scale) + names[u];
  if (u > 0 && parse_rate(text) != bytes_per_second) text = shortest(bits) + "bit/s";
  return text;
}

std::string format_duration(double seconds) {
  if (!(seconds > 0)) return "0s";
  double whole = std::floor(seconds);
  std::string text;
  if (whole < 1e15) {
    auto total = static_cast<uint64_t>(whole);
    const std::pair<uint64_t, const char*> parts[] = {{86400, "d"}, {3600, "h"}, {60, "m"}};
    for (const auto& [size, name] : parts) {
      if (total >= size) text += std::to_string(total / size) + name;
      total %= size;
    }
    double rest = static_cast<double>(total) + (seconds - whole);
    if (rest > 0 || text.empty()) text += shortest(rest) + "s";
  }
  // Summing the parts back can differ in the last bit; then plain seconds are exact.
  if (text.empty() || parse_duration(text) != seconds) text = shortest(seconds) + "s";
  return text;
}

}  // namespace ferry::plan

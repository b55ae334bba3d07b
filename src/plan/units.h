// Human units for sizes, rates and durations, in and out.
//
// Sizes: a plain number is bytes; kB (or KB), MB, GB, TB, PB are powers of 1000 and
// KiB, MiB, GiB, TiB, PiB powers of 1024, so 80TB = 80e12 and 7.5TiB = 7.5 * 2^40.
// Rates: a size per second (250MB/s, 1GiB/s, 250MBps) or bits per second (1Gbit/s,
// 100Mbit/s, 10Gbps, 1Gb/s). Durations: s, m or min, h, d, w and combinations such as
// 1d12h; a plain number is seconds. A space may separate the number from its unit.
//
// Every parse_* throws ferry::Error(kInvalidArgument) naming the text it could not read
// and showing a valid example. Every format_* writes text that the matching parse_*
// reads back to the same value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ferry::plan {

// Bytes, rounded to the nearest byte.
uint64_t parse_bytes(std::string_view text);
// Bytes per second; always > 0.
double parse_rate(std::string_view text);
// Seconds; >= 0.
double parse_duration(std::string_view text);

// The shortest exact spelling: 80000000000000 -> "80TB", 2^40 * 7.5 -> "7.5TiB",
// 1500000 -> "1.5MB".
std::string format_bytes(uint64_t bytes);
// For messages, rounded to a tenth of a decimal unit: 806747284 -> "806.7 MB"; not
// exact, so unlike the others it does not read back to the same value.
std::string approx_bytes(uint64_t bytes);
// Bytes per second with a decimal unit: 250e6 -> "250MB/s".
std::string format_rate(double bytes_per_second);
// The same rate in bits, as network links are sold: 125e6 -> "1Gbit/s".
std::string format_bit_rate(double bytes_per_second);
// Whole days, hours, minutes and seconds: 131400 -> "1d12h30m"; a fraction of a
// second is kept on the seconds: 90.5 -> "1m30.5s".
std::string format_duration(double seconds);

}  // namespace ferry::plan

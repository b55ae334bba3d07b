#include "plan/units.h"

#include <gtest/gtest.h>

#include <string>

#include "ferry/error.h"

namespace ferry::plan {
namespace {

// The message of the kInvalidArgument error `parse` throws, or "" when it throws none.
template <typename Parse>
std::string rejection(Parse parse, const std::string& text) {
  try {
    parse(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument) << text;
    return e.what();
  }
  return "";
}

TEST(UnitsBytes, ReadsDecimalAndBinaryUnits) {
  EXPECT_EQ(parse_bytes("80TB"), 80'000'000'000'000ull);
  EXPECT_EQ(parse_bytes("22TB"), 22'000'000'000'000ull);
  EXPECT_EQ(parse_bytes("7.5TiB"), 7.5 * (1ull << 40));
  EXPECT_EQ(parse_bytes("1KiB"), 1024u);
  EXPECT_EQ(parse_bytes("1kB"), 1000u);
  EXPECT_EQ(parse_bytes("1KB"), 1000u);
  EXPECT_EQ(parse_bytes("2MiB"), 2u << 20);
  EXPECT_EQ(parse_bytes("1.5GB"), 1'500'000'000u);
  EXPECT_EQ(parse_bytes("3PB"), 3'000'000'000'000'000ull);
  EXPECT_EQ(parse_bytes("1PiB"), 1ull << 50);
  EXPECT_EQ(parse_bytes("512B"), 512u);
  EXPECT_EQ(parse_bytes("4096"), 4096u);
  EXPECT_EQ(parse_bytes(" 500 GB "), 500'000'000'000ull);
  EXPECT_EQ(parse_bytes("0"), 0u);
}

TEST(UnitsBytes, DecimalFractionsAreExactToTheByte) {
  EXPECT_EQ(parse_bytes("1.234567890123TB"), 1'234'567'890'123ull);
  EXPECT_EQ(parse_bytes("0.5kB"), 500u);
  EXPECT_EQ(parse_bytes("0.0005kB"), 1u);  // half a byte rounds up
}

TEST(UnitsBytes, RejectsNonsenseNamingTheTextAndAnExample) {
  auto parse = [](const std::string& t) { return parse_bytes(t); };
  for (const std::string bad : {"12XB", "-3TB", "abc", "", "  ", "TB", "1.2.3TB", "3 TB x", "1e12",
                                "80Tb", "80T", "99999999999999999999TB"}) {
    std::string message = rejection(parse, bad);
    ASSERT_NE(message, "") << "accepted '" << bad << "'";
    EXPECT_NE(message.find("'" + bad + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("80TB"), std::string::npos) << message;
  }
  EXPECT_NE(rejection(parse, "-3TB").find("negative"), std::string::npos);
  EXPECT_NE(rejection(parse, "12XB").find("unknown unit 'XB'"), std::string::npos);
  EXPECT_NE(rejection(parse, "80Tb").find("bits"), std::string::npos);
  EXPECT_NE(rejection(parse, "80T").find("TiB"), std::string::npos);
  EXPECT_NE(rejection(parse, "99999999999999999999TB").find("too large"), std::string::npos);
}

TEST(UnitsBytes, FormatsTheShortestExactSpelling) {
  EXPECT_EQ(format_bytes(80'000'000'000'000ull), "80TB");
  EXPECT_EQ(format_bytes(static_cast<uint64_t>(7.5 * (1ull << 40))), "7.5TiB");
  EXPECT_EQ(format_bytes(1024), "1KiB");
  EXPECT_EQ(format_bytes(1000), "1kB");
  EXPECT_EQ(format_bytes(1234), "1234B");
  EXPECT_EQ(format_bytes(1'234'000), "1234kB");
  EXPECT_EQ(format_bytes(1'500'000), "1.5MB");
  EXPECT_EQ(format_bytes(0), "0B");
  EXPECT_EQ(format_bytes(999), "999B");
}

TEST(UnitsBytes, FormatThenParseGivesTheSameValue) {
  for (uint64_t v : {0ull, 1ull, 999ull, 1000ull, 1023ull, 1024ull, 1536ull, 65'536ull,
                     1'048'575ull, 22'000'000'000'000ull, 8'246'337'208'320ull,
                     1'234'567'890'123'457ull, 18'446'744'073'709'551'615ull}) {
    EXPECT_EQ(parse_bytes(format_bytes(v)), v) << format_bytes(v);
  }
}

TEST(UnitsRate, ReadsBytesAndBitsPerSecond) {
  EXPECT_EQ(parse_rate("250MB/s"), 250e6);
  EXPECT_EQ(parse_rate("250 MB/s"), 250e6);
  EXPECT_EQ(parse_rate("250MBps"), 250e6);
  EXPECT_EQ(parse_rate("1GiB/s"), 1073741824.0);
  EXPECT_EQ(parse_rate("1Gbit/s"), 125e6);
  EXPECT_EQ(parse_rate("100Mbit/s"), 12.5e6);
  EXPECT_EQ(parse_rate("10Gbps"), 1.25e9);
  EXPECT_EQ(parse_rate("1Gb/s"), 125e6);
  EXPECT_EQ(parse_rate("8bit/s"), 1.0);
}

TEST(UnitsRate, RejectsNonsenseNamingTheTextAndAnExample) {
  auto parse = [](const std::string& t) { return parse_rate(t); };
  for (const std::string bad :
       {"250", "250MB", "fast", "", "-1Gbit/s", "0MB/s", "1XB/s", "1Gbit"}) {
    std::string message = rejection(parse, bad);
    ASSERT_NE(message, "") << "accepted '" << bad << "'";
    EXPECT_NE(message.find("'" + bad + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("250MB/s"), std::string::npos) << message;
  }
  EXPECT_NE(rejection(parse, "250").find("unit is missing"), std::string::npos);
}

TEST(UnitsRate, FormatThenParseGivesTheSameValue) {
  EXPECT_EQ(format_rate(250e6), "250MB/s");
  EXPECT_EQ(format_bit_rate(125e6), "1Gbit/s");
  EXPECT_EQ(format_bit_rate(12.5e6), "100Mbit/s");
  // Not 0.0035600000000000002bit/s: the product by 8 rounds, the figure need not show it.
  EXPECT_EQ(format_bit_rate(0.00044500000000000003), "0.00356bit/s");
  for (double v : {1.0, 0.125, 999.0, 250e6, 125e6, 12.5e6, 1.25e9, 1073741824.0, 1.0 / 3,
                   123456.789, 3.7e15}) {
    EXPECT_EQ(parse_rate(format_rate(v)), v) << format_rate(v);
    if (v * 8 >= 1000) {
      EXPECT_EQ(parse_rate(format_bit_rate(v)), v) << format_bit_rate(v);
    } else {  // six significant digits below 1 kbit/s
      EXPECT_NEAR(parse_rate(format_bit_rate(v)), v, v * 1e-5) << format_bit_rate(v);
    }
  }
}

TEST(UnitsDuration, ReadsUnitsAndCombinations) {
  EXPECT_EQ(parse_duration("12h"), 43200.0);
  EXPECT_EQ(parse_duration("3d"), 259200.0);
  EXPECT_EQ(parse_duration("2d"), 172800.0);
  EXPECT_EQ(parse_duration("90"), 90.0);
  EXPECT_EQ(parse_duration("45s"), 45.0);
  EXPECT_EQ(parse_duration("5m"), 300.0);
  EXPECT_EQ(parse_duration("5min"), 300.0);
  EXPECT_EQ(parse_duration("1.5d"), 129600.0);
  EXPECT_EQ(parse_duration("1d12h"), 129600.0);
  EXPECT_EQ(parse_duration("1d 12h 30m"), 131400.0);
  EXPECT_EQ(parse_duration("1w"), 604800.0);
}

TEST(UnitsDuration, RejectsNonsenseNamingTheTextAndAnExample) {
  auto parse = [](const std::string& t) { return parse_duration(t); };
  for (const std::string bad : {"abc", "", "-3d", "3x", "1d12", "d", "12h abc", "3 days ago"}) {
    std::string message = rejection(parse, bad);
    ASSERT_NE(message, "") << "accepted '" << bad << "'";
    EXPECT_NE(message.find("'" + bad + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("12h"), std::string::npos) << message;
  }
}

TEST(UnitsDuration, FormatThenParseGivesTheSameValue) {
  EXPECT_EQ(format_duration(131400), "1d12h30m");
  EXPECT_EQ(format_duration(90.5), "1m30.5s");
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(172800), "2d");
  for (double v : {0.0, 0.25, 1.0, 59.0, 60.0, 3599.5, 43200.0, 172800.0, 640000.0, 1e9 + 0.1,
                   1.0 / 3, 123456.789}) {
    EXPECT_EQ(parse_duration(format_duration(v)), v) << format_duration(v);
  }
}

}  // namespace
}  // namespace ferry::plan

// Files that are compressed already (JPEG, MP4, gzip, ...) are known by their first
// bytes, or by bytes that look random, and stored as they are, without a trial
// compression; everything else is still tried. Here the "JPEG" and the plain file hold
// the same very compressible bytes, so the only thing that can keep the first from
// being compressed is its signature; and the random-looking file repeats one block, so
// zstd would shrink it, and only its entropy keeps it from being tried.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>
#include <string>

#include "codec/kdf.h"
#include "codec/sha256.h"
#include "ferry/pack.h"
#include "pack/compressed_formats.h"
#include "pack/read_ahead.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

bool compressed_format(const std::string& head) {
  return pack::is_compressed_format(reinterpret_cast<const uint8_t*>(head.data()), head.size());
}

TEST(CompressedFormats, KnownSignaturesAreRecognised) {
  const std::string rest(32, 'x');
  for (const std::string& head :
       {std::string("\xFF\xD8\xFF\xE0"), std::string("\x89PNG\r\n\x1A\n"), std::string("GIF89a"),
        std::string("RIFF\x10\0\0\0WEBP", 12), std::string("\0\0\0\x20" "ftypisom", 12),
        std::string("\x1A\x45\xDF\xA3"), std::string("fLaC"), std::string("OggS\0", 5),
        std::string("ID3\x04\0", 5), std::string("\x1F\x8B\x08"), std::string("\x28\xB5\x2F\xFD"),
        std::string("\xFD" "7zXZ\0", 6), std::string("BZh91AY&SY"), std::string("\x04\x22\x4D\x18"),
        std::string("7z\xBC\xAF\x27\x1C")}) {
    EXPECT_TRUE(compressed_format(head + rest)) << codec::to_hex(reinterpret_cast<const uint8_t*>(head.data()), head.size());
  }
}

TEST(CompressedFormats, OtherFilesAreNot) {
  for (const std::string& head :
       {std::string("id,label,score\n1,cat,0.9\n"), std::string("{\"images\": []}"),
        std::string("PK\x03\x04 stored npz"), std::string("RIFF\x10\0\0\0WAVEfmt ", 16),
        std::string("BZh9 is not bzip2"), std::string("ID3"), std::string(""),
        std::string("\xFF\xD8"), std::string(64, '\0')}) {
    EXPECT_FALSE(compressed_format(head)) << head;
  }
}

std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

bool looks_compressed(const std::string& data) {
  return pack::looks_compressed(reinterpret_cast<const uint8_t*>(data.data()), data.size());
}

TEST(CompressedFormats, RandomBytesLookCompressed) {
  for (size_t size : {4096u, 6000u, 65536u}) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      EXPECT_TRUE(looks_compressed(random_bytes(size, seed))) << size << " bytes, seed " << seed;
    }
  }
}

TEST(CompressedFormats, TextSilenceAndSamplesDoNot) {
  std::string csv;
  for (int i = 0; csv.size() < 20000; ++i) {
    csv += std::to_string(i) + ",cat," + std::to_string(i * 37 % 1000) + "\n";
  }
  // 16-bit audio: a tone with some noise; zstd shrinks it to about 0.89.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 200);
  std::string pcm;
  for (int i = 0; i < 32768; ++i) {
    auto v = static_cast<int16_t>(3000 * std::sin(i * 0.05) + noise(rng));
    pcm.push_back(static_cast<char>(v & 0xFF));
    pcm.push_back(static_cast<char>(v >> 8));
  }
  for (const std::string& data : {csv, std::string(8192, '\0'), pcm, std::string("short")}) {
    EXPECT_FALSE(looks_compressed(data)) << data.substr(0, 40);
  }
  EXPECT_EQ(pack::sampled_byte_entropy(reinterpret_cast<const uint8_t*>("aaaa"), 4), 0.0);
  EXPECT_EQ(pack::sampled_byte_entropy(reinterpret_cast<const uint8_t*>("abab"), 4), 1.0);
}

TEST(CompressedFormats, TheReadAheadStoresThemAsTheyAre) {
  TempDir dir;
  make_dir(dir.path(), "source");
  const std::string zeros(200000, '\0');
  write_file(dir / "source", "photo.jpg", "\xFF\xD8\xFF\xE0" + zeros);
  write_file(dir / "source", "plain.bin", std::string(4, '\0') + zeros);
  std::vector<format::Entry> plan(2);
  plan[0].id = 1, plan[0].path = "photo.jpg", plan[0].size = zeros.size() + 4;
  plan[1].id = 2, plan[1].path = "plain.bin", plan[1].size = zeros.size() + 4;
  pack::ReadAhead pool(dir / "source", /*compress=*/true, 1);
  pool.plan(plan);
  const pack::ReadyFile& photo = pool.take();
  ASSERT_EQ(photo.outcome, pack::ReadyFile::kPacked) << photo.reason;
  EXPECT_EQ(photo.entry.encoding, format::Encoding::kRaw);
  EXPECT_EQ(photo.stored.size(), zeros.size() + 4);
  const pack::ReadyFile& plain = pool.take();
  ASSERT_EQ(plain.outcome, pack::ReadyFile::kPacked) << plain.reason;
  EXPECT_EQ(plain.entry.encoding, format::Encoding::kZstdFrames);
}

// The price of the entropy check: a random block repeated, which zstd would shrink to
// about a sixth, is stored as it is. Text is still compressed.
TEST(CompressedFormats, TheReadAheadStoresRandomLookingBytesAsTheyAre) {
  TempDir dir;
  make_dir(dir.path(), "source");
  const std::string block = random_bytes(1024, 7);
  std::string repeated;
  for (int i = 0; i < 6; ++i) repeated += block;
  std::string text;
  for (int i = 0; text.size() < repeated.size(); ++i) text += "line " + std::to_string(i) + "\n";
  text.resize(repeated.size());
  write_file(dir / "source", "repeated.bin", repeated);
  write_file(dir / "source", "notes.txt", text);
  std::vector<format::Entry> plan(2);
  plan[0].id = 1, plan[0].path = "repeated.bin", plan[0].size = repeated.size();
  plan[1].id = 2, plan[1].path = "notes.txt", plan[1].size = text.size();
  pack::ReadAhead pool(dir / "source", /*compress=*/true, 1);
  pool.plan(plan);
  const pack::ReadyFile& random_looking = pool.take();
  ASSERT_EQ(random_looking.outcome, pack::ReadyFile::kPacked) << random_looking.reason;
  EXPECT_EQ(random_looking.entry.encoding, format::Encoding::kRaw);
  EXPECT_EQ(random_looking.stored.size(), repeated.size());
  const pack::ReadyFile& notes = pool.take();
  ASSERT_EQ(notes.outcome, pack::ReadyFile::kPacked) << notes.reason;
  EXPECT_EQ(notes.entry.encoding, format::Encoding::kZstdFrames);
}

// Files over 16 MiB take the streaming path, which decides from a sample.
TEST(CompressedFormats, PackStoresALargeOneAsItIs) {
  const std::string zeros(20u << 20, '\0');
  auto stream_bytes = [&](const std::string& content) {
    TempDir dir;
    make_dir(dir.path(), "source");
    write_file(dir / "source", "big", content);
    PackOptions o;
    o.source = dir / "source";
    o.drives = make_drives(dir.path(), 3);
    o.parity = 1;
    std::array<uint8_t, 32> key{};
    codec::random_bytes(key.data(), key.size());
    o.credentials.key_file = key;
    Progress progress;
    return pack_shipment(o, progress).stream_bytes;
  };
  // Built by append: GCC 12 misreads `std::string(...) + zeros` as an out-of-bounds copy.
  auto after = [&](std::string head) { return head.append(zeros); };
  EXPECT_GE(stream_bytes(after(std::string("\x1F\x8B\x08\x00", 4))), zeros.size());
  EXPECT_LT(stream_bytes(after(std::string(4, '\0'))), zeros.size() / 100);
}

}  // namespace
}  // namespace ferry::test

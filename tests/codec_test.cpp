#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "codec/aead.h"
#include "codec/crc32c.h"
#include "codec/erasure.h"
#include "codec/kdf.h"
#include "codec/sha256.h"
#include "codec/zstd.h"

namespace ferry::codec {
namespace {

TEST(Crc32c, MatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
}

TEST(Sha256, MatchesTheKnownDigestOfAbc) {
  EXPECT_EQ(to_hex(sha256("abc", 3)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  std::vector<uint8_t> data(100000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  Sha256 h;
  h.update(data.data(), 333);
  h.update(data.data() + 333, data.size() - 333);
  EXPECT_EQ(h.finish(), sha256(data.data(), data.size()));
}

TEST(AesGcm, RoundTripsAndRejectsAnyChange) {
  Key key{};
  key[0] = 1;
  AesGcm aead(key);
  Nonce nonce{};
  std::string plain = "the quick brown fox", aad = "position 7";
  std::vector<uint8_t> sealed(plain.size());
  uint8_t tag[kTagSize];
  aead.seal(nonce, aad.data(), aad.size(), plain.data(), plain.size(), sealed.data(), tag);
  std::string out(plain.size(), '\0');
  ASSERT_TRUE(aead.open(nonce, aad.data(), aad.size(), sealed.data(), sealed.size(), out.data(), tag));
  EXPECT_EQ(out, plain);
  std::string other_aad = "position 8";
  EXPECT_FALSE(aead.open(nonce, other_aad.data(), other_aad.size(), sealed.data(), sealed.size(),
                         out.data(), tag));
  sealed[3] ^= 1;
  EXPECT_FALSE(aead.open(nonce, aad.data(), aad.size(), sealed.data(), sealed.size(), out.data(), tag));
}

TEST(Hkdf, DifferentPurposesGiveDifferentKeys) {
  Key key{};
  EXPECT_NE(hkdf(key, "a"), hkdf(key, "b"));
  EXPECT_EQ(hkdf(key, "a"), hkdf(key, "a"));
}

TEST(Zstd, RoundTripsAFrame) {
  std::string text(100000, 'x');
  std::vector<uint8_t> packed(zstd_bound(text.size()));
  size_t n = ZstdCompressor().compress(text.data(), text.size(), packed.data(), packed.size());
  EXPECT_LT(n, text.size() / 10);
  std::string out(text.size(), '\0');
  EXPECT_EQ(ZstdDecompressor().decompress(packed.data(), n, out.data(), out.size()), text.size());
  EXPECT_EQ(out, text);
}

// Every erasure pattern of up to m fragments rebuilds the exact bytes.
void check_every_pattern(int k, int m) {
  const int n = k + m;
  const size_t len = 4096 + 17;
  std::mt19937 rng(k * 100 + m);
  std::vector<std::vector<uint8_t>> original(n, std::vector<uint8_t>(len));
  for (int i = 0; i < k; ++i) {
    for (auto& b : original[i]) b = static_cast<uint8_t>(rng());
  }
  ReedSolomon rs(k, m);
  std::vector<const uint8_t*> data;
  std::vector<uint8_t*> parity;
  for (int i = 0; i < k; ++i) data.push_back(original[i].data());
  for (int i = k; i < n; ++i) parity.push_back(original[i].data());
  rs.encode(len, data.data(), parity.data());
  for (uint64_t present = 0; present < (1ull << n); ++present) {
    if (__builtin_popcountll(present) < k) continue;
    auto work = original;
    std::vector<uint8_t*> ptrs;
    for (int i = 0; i < n; ++i) {
      if (!(present >> i & 1)) std::fill(work[i].begin(), work[i].end(), 0xAA);
      ptrs.push_back(work[i].data());
    }
    ASSERT_TRUE(rs.reconstruct(len, ptrs.data(), present));
    for (int i = 0; i < n; ++i) ASSERT_EQ(work[i], original[i]) << "pattern " << present;
  }
}

TEST(ReedSolomon, RebuildsEveryPatternOf3Plus1) { check_every_pattern(3, 1); }
TEST(ReedSolomon, RebuildsEveryPatternOf4Plus2) { check_every_pattern(4, 2); }
TEST(ReedSolomon, RebuildsEveryPatternOf5Plus3) { check_every_pattern(5, 3); }

TEST(ReedSolomon, RefusesWithFewerThanKFragments) {
  ReedSolomon rs(3, 1);
  std::vector<uint8_t> a(64), b(64), c(64), d(64);
  uint8_t* ptrs[] = {a.data(), b.data(), c.data(), d.data()};
  EXPECT_FALSE(rs.reconstruct(64, ptrs, 0b0011));
}

}  // namespace
}  // namespace ferry::codec

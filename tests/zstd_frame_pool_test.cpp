// The frames of a large compressible file are compressed on a pool when packed and
// decompressed on one when restored. They must come back in the order they went in,
// each the transform of its own bytes; a frame that does not decompress is reported as
// such without holding up the others; a file packed and restored so comes back whole.
#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "codec/kdf.h"
#include "codec/zstd.h"
#include "codec/zstd_frame_pool.h"
#include "ferry/error.h"
#include "ferry/pack.h"
#include "ferry/restore.h"
#include "format/constants.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

std::string unpack(const uint8_t* frame, size_t len) {
  codec::ZstdDecompressor zstd;
  std::string out(format::kCompressionFrameSize, '\0');
  size_t n = zstd.decompress(frame, len, out.data(), out.size());
  out.resize(n);
  return out;
}

// Frames of every kind and length: text, random bytes, short and full.
std::string frame_content(int i) {
  const size_t len = i % 7 == 3 ? 1 + i * 101 : format::kCompressionFrameSize - (i % 2) * 12345;
  return i % 3 ? csv_text(len, i) : random_bytes(len, i);
}

using Pool = codec::ZstdFramePool;

TEST(ZstdFramePool, CompressedFramesComeBackInOrderEachItsOwnBytes) {
  Pool pool(Pool::Direction::kCompress, format::kCompressionFrameSize, 3);
  const int frames = 40;
  int given = 0, taken = 0;
  while (taken < frames) {
    if (given < frames && pool.has_room()) {
      std::string content = frame_content(given++);
      std::copy(content.begin(), content.end(), pool.next_input());
      pool.submit(content.size());
      continue;
    }
    auto [packed, len] = pool.take();
    ASSERT_EQ(unpack(packed, len), frame_content(taken)) << "frame " << taken;
    ++taken;
  }
  EXPECT_EQ(pool.in_flight(), 0u);
  EXPECT_THROW(pool.take(), std::logic_error);
}

TEST(ZstdFramePool, DecompressedFramesComeBackInOrderAndABadOneIsReported) {
  codec::ZstdCompressor zstd;
  std::vector<std::string> packed;
  for (int i = 0; i < 20; ++i) {
    std::string content = frame_content(i);
    std::string out(codec::zstd_bound(content.size()), '\0');
    out.resize(zstd.compress(content.data(), content.size(), out.data(), out.size()));
    if (i == 11) out[0] ^= 0x5a;  // no longer a zstd frame
    packed.push_back(out);
  }
  Pool pool(Pool::Direction::kDecompress, format::kCompressionFrameSize, 2);
  size_t given = 0, taken = 0;
  while (taken < packed.size()) {
    if (given < packed.size() && pool.has_room()) {
      std::copy(packed[given].begin(), packed[given].end(), pool.next_input());
      pool.submit(packed[given++].size());
      continue;
    }
    if (taken == 11) {
      EXPECT_THROW(pool.take(), Error) << "the damaged frame";
    } else {
      auto [plain, len] = pool.take();
      const std::string got(reinterpret_cast<const char*>(plain), len);
      EXPECT_EQ(got, frame_content(static_cast<int>(taken))) << "frame " << taken;
    }
    ++taken;
  }
}

TEST(ZstdFramePool, ClearForgetsTheFramesInFlight) {
  Pool pool(Pool::Direction::kCompress, format::kCompressionFrameSize, 2);
  while (pool.has_room()) {
    std::string content = csv_text(500000, 1);
    std::copy(content.begin(), content.end(), pool.next_input());
    pool.submit(content.size());
  }
  EXPECT_THROW(pool.next_input(), std::logic_error);
  pool.clear();
  EXPECT_EQ(pool.in_flight(), 0u);
  std::string content = csv_text(1000, 2);
  std::copy(content.begin(), content.end(), pool.next_input());
  pool.submit(content.size());
  auto [packed, len] = pool.take();
  EXPECT_EQ(unpack(packed, len), content);
}

// Over 16 MiB, so it takes the streaming path, and compressible, so its frames go
// through the pool.
TEST(ZstdFramePool, ALargeCompressibleFileRestoresExactly) {
  TempDir dir;
  make_dir(dir.path(), "source");
  const std::string sheet = csv_text(40u << 20, 7);
  write_file(dir / "source", "big.csv", sheet);
  std::array<uint8_t, 32> key{};
  codec::random_bytes(key.data(), key.size());

  PackOptions pack;
  pack.source = dir / "source";
  pack.drives = make_drives(dir.path(), 3);
  pack.parity = 1;
  pack.credentials.key_file = key;
  pack.threads = 2;
  Progress progress;
  PackReport packed = pack_shipment(pack, progress);
  EXPECT_LT(packed.stream_bytes, sheet.size() / 2);

  RestoreOptions restore;
  restore.drives = {pack.drives[2], pack.drives[0]};
  restore.target = dir / "restored";
  restore.credentials.key_file = key;
  RestoreReport restored = restore_shipment(restore, progress);
  EXPECT_TRUE(restored.lost.empty());
  EXPECT_EQ(snapshot(dir / "restored")["big.csv"].content, sheet);
}

}  // namespace
}  // namespace ferry::test

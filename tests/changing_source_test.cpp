// Source files that change while pack reads them are read again once; one that keeps
// changing is left out and reported. Never is a torn file packed without a word.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "codec/kdf.h"
#include "ferry/pack.h"
#include "ferry/restore.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

constexpr size_t kBigFile = 48u << 20;

class ChangingSource : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_.path(), "source/small.txt", "steady\n");
    write_file(dir_.path(), "source/big.bin", random_bytes(kBigFile, 1));
    for (int i = 0; i < 4; ++i) make_dir(dir_.path(), "drive" + std::to_string(i));
    codec::random_bytes(key_.data(), key_.size());
  }
  PackOptions options() {
    PackOptions o;
    o.source = dir_ / "source";
    for (int i = 0; i < 4; ++i) o.drives.push_back(dir_ / ("drive" + std::to_string(i)));
    o.credentials.key_file = key_;
    o.threads = 1;
    o.compress = false;
    return o;
  }
  // Overwrites the first bytes of big.bin with other bytes (same size, new mtime).
  void scribble(int round) {
    int fd = ::open((dir_ / "source/big.bin").c_str(), O_WRONLY);
    std::string bytes = random_bytes(4096, 1000 + round);
    ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), 0), 4096);
    ::close(fd);
  }
  std::string restore_all() {
    RestoreOptions r;
    r.drives = options().drives;
    r.target = dir_ / "restored";
    r.credentials.key_file = key_;
    Progress p;
    restore_shipment(r, p);
    return r.target;
  }
  TempDir dir_;
  std::array<uint8_t, 32> key_{};
};

TEST_F(ChangingSource, AFileChangedOnceIsReadAgainAndPackedAsItIsNow) {
  Progress progress;
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done && progress.bytes_done < kBigFile / 3) std::this_thread::yield();
    if (!done) scribble(1);
  });
  PackReport report = pack_shipment(options(), progress);
  done = true;
  watcher.join();
  ASSERT_LT(progress.bytes_done.load(), 3 * kBigFile) << "big.bin was not read twice";
  EXPECT_GT(progress.bytes_done.load(), kBigFile + 7) << "the change went unnoticed";
  EXPECT_TRUE(report.unreadable.empty());
  EXPECT_EQ(compare_trees(dir_ / "source", restore_all()), "");
}

TEST_F(ChangingSource, AFileThatGrewWhileBeingReadIsCountedAtItsNewSize) {
  Progress progress;
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done && progress.bytes_done < kBigFile / 3) std::this_thread::yield();
    if (done) return;
    int fd = ::open((dir_ / "source/big.bin").c_str(), O_WRONLY | O_APPEND);
    ASSERT_EQ(::write(fd, "grown", 5), 5);
    ::close(fd);
  });
  PackReport report = pack_shipment(options(), progress);
  done = true;
  watcher.join();
  EXPECT_TRUE(report.unreadable.empty());
  EXPECT_EQ(report.files, 2u);
  EXPECT_EQ(report.source_bytes, kBigFile + 5 + 7) << "still counted at the size the walk saw";
  EXPECT_EQ(compare_trees(dir_ / "source", restore_all()), "");
}

TEST_F(ChangingSource, AFileThatKeepsChangingIsLeftOutAndReported) {
  Progress progress;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int round = 0; !done; ++round) {
      scribble(round);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  PackReport report = pack_shipment(options(), progress);
  done = true;
  writer.join();
  ASSERT_EQ(report.unreadable.size(), 1u);
  EXPECT_EQ(report.unreadable[0].first, "big.bin");
  EXPECT_EQ(report.files, 1u) << "the file left out is still counted";
  EXPECT_EQ(report.source_bytes, 7u) << "the file left out is still counted";
  EXPECT_NE(report.unreadable[0].second.find("changed"), std::string::npos);
  // Each attempt stops within 16 MiB of the change, not at the end of the file: what it
  // streamed stays as dead space.
  EXPECT_LT(report.stream_bytes, kBigFile) << "the attempts given up were read to the end";
  std::string restored = restore_all();
  auto tree = snapshot(restored);
  EXPECT_EQ(tree.count("big.bin"), 0u) << "a torn file was packed";
  EXPECT_EQ(tree.at("small.txt").content, "steady\n");
}

}  // namespace
}  // namespace ferry::test

// Source files that change while pack reads them are read again once; one that keeps
// changing is left out and reported. Never is a torn file packed without a word.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "codec/kdf.h"
#include "ferry/error.h"
#include "ferry/pack.h"
#include "ferry/restore.h"
#include "read/open_shipment.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

constexpr size_t kBigFile = 48u << 20;

// `len` bytes of numbered lines: text that compresses.
std::string text_bytes(size_t len, int seed) {
  std::string text;
  for (size_t line = 0; text.size() < len; ++line) {
    text += "line " + std::to_string(line * 7 + static_cast<size_t>(seed)) + " of the text\n";
  }
  text.resize(len);
  return text;
}

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
  EXPECT_EQ(report.stream_bytes, kBigFile + 7) << "the attempt given up left bytes in the stream";
  EXPECT_EQ(compare_trees(dir_ / "source", restore_all()), "");
}

// The stream goes back over an attempt given up, from that file's first stripe, under a
// new pack attempt, rewriting what came before the file in that stripe (a.txt); a
// compressed file likewise (or within its stripe, depending on when its change is
// seen). A pack stopped at a later checkpoint resumes past it, and everything reads back.
TEST_F(ChangingSource, StripesRewrittenAfterAChangeSurviveAStopAndResume) {
  write_file(dir_.path(), "source/a.txt", random_bytes(100000, 4));
  write_file(dir_.path(), "source/big2.txt", text_bytes(kBigFile, 2));
  write_file(dir_.path(), "source/big3.bin", random_bytes(kBigFile / 2, 3));
  PackOptions o = options();
  o.compress = true;
  o.checkpoint_bytes = 8u << 20;
  std::atomic<bool> stop{false};
  o.stop = &stop;
  Progress progress;
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done && progress.bytes_done < kBigFile / 3) std::this_thread::yield();
    if (!done) scribble(1);
    while (!done && progress.bytes_done < 2 * kBigFile) std::this_thread::yield();
    // big2.txt, compressed, changes too; then the pack stops at the checkpoint after it.
    int fd = ::open((dir_ / "source/big2.txt").c_str(), O_WRONLY);
    std::string bytes = text_bytes(4096, 99);
    EXPECT_EQ(::pwrite(fd, bytes.data(), bytes.size(), 0), 4096);
    ::close(fd);
    stop = true;
  });
  EXPECT_THROW(pack_shipment(o, progress), Error);
  done = true;
  watcher.join();
  stop = false;
  Progress again;
  PackReport report = pack_shipment(o, again);
  EXPECT_TRUE(report.resumed);
  EXPECT_TRUE(report.unreadable.empty());
  // Runs of stripes: attempt 2 from big.bin's first stripe (attempt 1's run is gone,
  // all of it written again), maybe one from big2.txt's, the resumed one's.
  auto shipment = read::open_shipment(read::open_drives(o.drives), o.credentials);
  const std::string runs = shipment->attempts.to_string();
  EXPECT_EQ(runs.rfind("0:2,", 0), 0u) << runs;
  EXPECT_GE(shipment->attempts.runs(), 2u) << runs;
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
  // The stream went back over both attempts: it holds small.txt alone.
  EXPECT_EQ(report.stream_bytes, 7u) << "the attempts given up left bytes in the stream";
  std::string restored = restore_all();
  auto tree = snapshot(restored);
  EXPECT_EQ(tree.count("big.bin"), 0u) << "a torn file was packed";
  EXPECT_EQ(tree.at("small.txt").content, "steady\n");
}

}  // namespace
}  // namespace ferry::test

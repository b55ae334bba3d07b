// A pack's first checkpoint comes before its first block when the source is longer than
// one checkpoint interval, so that a resume need not walk the source again; a shorter
// pack writes none, since its catalog's copies would be a large part of what it writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <vector>

#include "codec/kdf.h"
#include "ferry/pack.h"
#include "ferry/write_env.h"
#include "format/constants.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

// The real file system, with the name of every file opened for writing, in order.
class RecordingEnv : public io::WriteEnv {
 public:
  std::unique_ptr<io::WritableFile> open(const std::string& path) const override {
    std::lock_guard<std::mutex> lock(mutex_);
    opened_.push_back(path);
    return io::WriteEnv::posix().open(path);
  }
  std::vector<std::string> opened() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return opened_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::vector<std::string> opened_;
};

bool is_checkpoint(const std::string& path) {
  return path.find(std::string("/") + format::kCheckpointPrefix) != std::string::npos;
}
bool is_segment(const std::string& path) {
  return path.find(std::string("/") + format::kSegmentDir + "/") != std::string::npos;
}

class FirstCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    // 1.3 MB: more than 16 times the walk's catalog, the least interval there is.
    for (int i = 0; i < 30; ++i) {
      write_file(dir_.path(), "source/f" + std::to_string(i), random_bytes(30000 + i * 1000, i));
    }
    codec::random_bytes(key_.data(), key_.size());
  }

  // Packs the source with `checkpoint_bytes`; returns the files written, in order.
  std::vector<std::string> pack(uint64_t checkpoint_bytes) {
    RecordingEnv env;
    PackOptions o;
    o.source = dir_ / "source";
    o.drives = make_drives(dir_.path(), 4);
    o.parity = 1;
    o.block_size = 4096;
    o.credentials.key_file = key_;
    o.checkpoint_bytes = checkpoint_bytes;
    o.env = &env;
    Progress progress;
    PackReport report = pack_shipment(o, progress);
    EXPECT_EQ(report.files, 30u);
    return env.opened();
  }

  TempDir dir_;
  std::array<uint8_t, 32> key_{};
};

TEST_F(FirstCheckpoint, APackShorterThanOneIntervalWritesNone) {
  std::vector<std::string> opened = pack(1ull << 30);
  ASSERT_TRUE(std::any_of(opened.begin(), opened.end(), is_segment)) << "no block was written";
  for (const std::string& path : opened) EXPECT_FALSE(is_checkpoint(path)) << path;
}

TEST_F(FirstCheckpoint, ALongerPackWritesOneOnEveryDriveBeforeItsFirstBlock) {
  std::vector<std::string> opened = pack(40000);
  auto first_segment = std::find_if(opened.begin(), opened.end(), is_segment);
  ASSERT_NE(first_segment, opened.end()) << "no block was written";
  EXPECT_EQ(std::count_if(opened.begin(), first_segment, is_checkpoint), 4)
      << "the walk's catalog is not on all four drives before the first block";
}

}  // namespace
}  // namespace ferry::test

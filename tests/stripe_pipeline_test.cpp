// The StripePipeline seals, encodes and writes the stripes it is handed, one writer per
// drive, and finish() returns once every thread has ended, whatever stage the last
// stripe was still in.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <thread>

#include "format/block.h"
#include "format/constants.h"
#include "format/drive_folder.h"
#include "io/file.h"
#include "pack/stripe_pipeline.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

constexpr uint64_t kStripes = 7;

class StripePipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.layout.k = 3;
    config_.layout.m = 1;
    config_.layout.block_size = 4096;
    config_.layout.segment_stripes = 1000;
    config_.shipment.fill(0x5a);
    config_.threads = 2;  // two encoders: the case where one could be left waiting
    for (const std::string& drive : make_drives(dir_.path(), 4)) {
      io::make_directories(io::join(drive, format::kSegmentDir));
      config_.folders.push_back(drive);
    }
  }

  // Fills and submits kStripes stripes, then calls finish(); fails the whole run, rather
  // than hang it, when finish() does not return.
  void pack_stripes(pack::StripePipeline& pipeline) {
    for (uint64_t s = 0; s < kStripes; ++s) {
      for (uint32_t j = 0; j < config_.layout.k; ++j) {
        std::memset(pipeline.unit(j), static_cast<int>(s * 10 + j), config_.layout.unit_plain());
      }
      pipeline.submit();
    }
    auto finished = std::async(std::launch::async, [&] { pipeline.finish(); });
    if (finished.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      std::fprintf(stderr, "StripePipeline::finish() did not return: a thread waits forever\n");
      std::_Exit(1);
    }
    finished.get();
  }

  TempDir dir_;
  pack::PipelineConfig config_;
};

TEST_F(StripePipelineTest, EveryDriveGetsItsBlockOfEveryStripeInOrder) {
  {
    pack::StripePipeline pipeline(config_);
    pack_stripes(pipeline);
  }
  const format::Layout& layout = config_.layout;
  for (uint32_t slot = 0; slot < layout.n(); ++slot) {
    auto segment = io::File::open_read(format::segment_path(config_.folders[slot], 0));
    ASSERT_EQ(segment.size(), kStripes * layout.record_size()) << "slot " << slot;
    for (uint64_t s = 0; s < kStripes; ++s) {
      uint8_t header[format::kBlockHeaderSize];
      segment.pread(header, sizeof header, layout.offset_in_segment(s));
      std::string why;
      auto h = format::decode_block_header(header, &why);
      ASSERT_TRUE(h) << why;
      EXPECT_EQ(h->stripe, s);
      EXPECT_EQ(h->slot, slot);
      EXPECT_EQ(h->member, layout.member_of(s, slot));
    }
  }
}

TEST_F(StripePipelineTest, FinishEndsEveryThreadWhileTheLastStripeIsStillBeingHashed) {
  // finish() comes while the ordered stage still holds the last stripe: the encoders
  // have gone back to sleep with nothing queued, and must all wake when it arrives.
  config_.before_seal = [](uint64_t stripe) {
    if (stripe == kStripes - 1) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  };
  pack::StripePipeline pipeline(config_);
  pack_stripes(pipeline);
  auto segment = io::File::open_read(format::segment_path(config_.folders[0], 0));
  EXPECT_EQ(segment.size(), kStripes * config_.layout.record_size());
}

}  // namespace
}  // namespace ferry::test

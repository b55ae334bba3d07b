// The catalog's record of which pack attempt sealed which stripes: the reader opens each
// block under its stripe's attempt, so this record decides what counts as a replay.
#include <gtest/gtest.h>

#include "ferry/error.h"
#include "format/attempts.h"

namespace ferry::format {
namespace {

TEST(PackAttempts, EachStripeBelongsToTheAttemptThatLastBeganAtOrBeforeIt) {
  PackAttempts a;
  a.begin(0, 1);
  a.begin(40, 2);
  a.begin(90, 3);
  EXPECT_EQ(a.of(0), 1u);
  EXPECT_EQ(a.of(39), 1u);
  EXPECT_EQ(a.of(40), 2u);
  EXPECT_EQ(a.of(89), 2u);
  EXPECT_EQ(a.of(1u << 30), 3u);
}

TEST(PackAttempts, AResumeFromAnEarlierCheckpointForgetsTheRunsItRewrites) {
  PackAttempts a;
  a.begin(0, 1);
  a.begin(40, 2);
  a.begin(40, 3);  // attempt 2 died before its first checkpoint
  a.begin(20, 4);  // an older checkpoint
  EXPECT_EQ(a.to_string(), "0:1,20:4");
  EXPECT_EQ(a.of(45), 4u);
}

TEST(PackAttempts, WhatItWritesParsesBackTheSame) {
  PackAttempts a;
  a.begin(0, 1);
  a.begin(7, 5);
  EXPECT_EQ(PackAttempts::parse(a.to_string(), "test").to_string(), "0:1,7:5");
}

TEST(PackAttempts, MalformedOrOutOfOrderListsAreCorruption) {
  for (const char* bad : {"", "1:1", "0:0", "0:1,0:2", "0:2,5:1", "0:1,", "0:1,x:2", ":1",
                          "0:", "0:4294967296", "0:1;5:2"}) {
    EXPECT_THROW(PackAttempts::parse(bad, "test"), Error) << bad;
  }
}

}  // namespace
}  // namespace ferry::format

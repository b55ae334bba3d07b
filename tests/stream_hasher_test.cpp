// The StreamHasher hashes the files of the data stream in stream order from the
// chunks the reader noted, one stripe at a time, and hands each digest back under
// its file's ticket.
#include <gtest/gtest.h>

#include "codec/sha256.h"
#include "pack/stream_hasher.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

using Digests = std::vector<std::pair<int64_t, codec::Digest>>;

codec::Digest sha(const std::string& s) { return codec::sha256(s.data(), s.size()); }
const uint8_t* bytes(const std::string& s, size_t at = 0) {
  return reinterpret_cast<const uint8_t*>(s.data()) + at;
}

TEST(StreamHasher, FilesSpreadOverStripesGetTheDigestsOfTheirWholeContent) {
  const std::string a = random_bytes(5000, 1), b = random_bytes(300, 2), c = random_bytes(9000, 3);
  pack::StreamHasher hasher;
  // Stripe 0: a[0..4000); stripe 1: a[4000..), b, c[0..2000); stripe 2: the rest of c.
  hasher.add(0, bytes(a), 4000);
  hasher.add(1, bytes(a, 4000), 1000);
  hasher.end_file(10);
  hasher.add(1, bytes(b), b.size());
  hasher.end_file(11);
  hasher.add(1, bytes(c), 2000);
  hasher.hash_stripe(0);
  EXPECT_TRUE(hasher.take_finished().empty()) << "a is not finished after stripe 0";
  hasher.hash_stripe(1);
  Digests after1 = hasher.take_finished();
  ASSERT_EQ(after1.size(), 2u);
  EXPECT_EQ(after1[0], std::make_pair(int64_t{10}, sha(a)));
  EXPECT_EQ(after1[1], std::make_pair(int64_t{11}, sha(b)));
  hasher.add(2, bytes(c, 2000), c.size() - 2000);
  hasher.end_file(12);
  hasher.hash_stripe(2);
  EXPECT_EQ(hasher.take_finished(), (Digests{{12, sha(c)}}));
}

TEST(StreamHasher, AFileEndingAfterItsLastStripeWasHashedIsFinishedAtOnce) {
  const std::string a = random_bytes(4096, 4);
  pack::StreamHasher hasher;
  hasher.add(0, bytes(a), a.size());
  hasher.hash_stripe(0);      // every byte of a hashed, its end not yet noted
  hasher.end_file(7);         // no later stripe will come (a checkpoint, or the end)
  EXPECT_EQ(hasher.take_finished(), (Digests{{7, sha(a)}}));
}

TEST(StreamHasher, EmptyFilesAndDiscardedAttemptsKeepTheirPlaceInOrder) {
  const std::string torn = random_bytes(1000, 5), kept = random_bytes(1500, 6);
  pack::StreamHasher hasher;
  hasher.add(0, bytes(torn), torn.size());
  hasher.end_file(-1);  // an attempt read again: its digest is not used
  hasher.end_file(20);  // an empty file
  hasher.add(0, bytes(kept), kept.size());
  hasher.end_file(21);
  hasher.hash_stripe(0);
  EXPECT_EQ(hasher.take_finished(), (Digests{{-1, sha(torn)}, {20, sha("")}, {21, sha(kept)}}));
}

}  // namespace
}  // namespace ferry::test

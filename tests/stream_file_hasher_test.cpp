// The StreamFileHasher hashes raw files across the stripes they span, in schedule
// order (files a stripe holds whole in its parallel stage), and hands each digest over
// with the stripe holding the file's last byte;
// compressed and empty files are left to FileStreamer, and files whose first stripes
// the schedule passed over get no digest.
#include <gtest/gtest.h>

#include <cstring>

#include "codec/sha256.h"
#include "read/stream_file_hasher.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

format::Layout small_layout() {
  format::Layout layout;
  layout.k = 2;
  layout.m = 1;
  layout.block_size = 4096;
  layout.segment_stripes = 16;
  return layout;
}

format::Entry raw_file(int64_t id, uint64_t offset, uint64_t size) {
  format::Entry e;
  e.id = id;
  e.kind = format::EntryKind::kFile;
  e.offset = offset;
  e.size = e.stored = size;
  e.encoding = format::Encoding::kRaw;
  return e;
}

class StreamFileHasherTest : public ::testing::Test {
 protected:
  // The stream's plaintext and the files in it, in order.
  void add(format::Entry e) {
    files_.push_back(e);
    if (stream_.size() < e.offset + e.stored) stream_.resize(e.offset + e.stored);
    std::string bytes = random_bytes(e.stored, static_cast<uint64_t>(e.id));
    std::memcpy(stream_.data() + e.offset, bytes.data(), bytes.size());
  }
  codec::Digest digest_of(const format::Entry& e) { return codec::sha256(stream_.data() + e.offset, e.stored); }
  read::FetchedStripe stripe(uint64_t s) {
    read::FetchedStripe f;
    f.stripe = s;
    f.plain.assign(layout_.stripe_plain(), 0);
    const uint64_t lo = s * layout_.stripe_plain();
    if (lo < stream_.size()) {
      std::memcpy(f.plain.data(), stream_.data() + lo, std::min<uint64_t>(layout_.stripe_plain(), stream_.size() - lo));
    }
    return f;
  }
  read::StreamFileHasher hasher() {
    return read::StreamFileHasher(layout_, [this, i = size_t{0}](format::Entry& e) mutable {
      if (i == files_.size()) return false;
      e = files_[i++];
      return true;
    });
  }
  format::Layout layout_ = small_layout();  // stripes of 2 × (4096 - 28) plaintext bytes
  std::vector<format::Entry> files_;
  std::vector<uint8_t> stream_;
};

TEST_F(StreamFileHasherTest, EachDigestComesWithTheStripeOfItsFilesLastByte) {
  const uint64_t sp = layout_.stripe_plain();
  add(raw_file(1, 0, 100));
  add(raw_file(2, 100, 3 * sp));          // spans four stripes
  format::Entry zipped = raw_file(3, 100 + 3 * sp, 500);
  zipped.encoding = format::Encoding::kZstdFrames;
  add(zipped);                             // not hashed here
  add(raw_file(4, 600 + 3 * sp, 0));       // empty: not hashed here
  add(raw_file(5, 600 + 3 * sp, 50));
  read::StreamFileHasher h = hasher();
  std::vector<std::vector<std::pair<int64_t, codec::Digest>>> per_stripe;
  for (uint64_t s = 0; s < 4; ++s) {
    read::FetchedStripe f = stripe(s);
    h.order(f);
    read::StreamFileHasher::whole_files(f);
    per_stripe.push_back(f.digests);
  }
  using List = std::vector<std::pair<int64_t, codec::Digest>>;
  EXPECT_EQ(per_stripe[0], (List{{1, digest_of(files_[0])}}));
  EXPECT_EQ(per_stripe[1], List{});
  EXPECT_EQ(per_stripe[2], List{});
  EXPECT_EQ(per_stripe[3], (List{{2, digest_of(files_[1])}, {5, digest_of(files_[4])}}));
}

TEST_F(StreamFileHasherTest, AFileWhoseFirstStripesWereNotDeliveredGetsNoDigest) {
  const uint64_t sp = layout_.stripe_plain();
  add(raw_file(1, 10, 2 * sp));   // stripes 0 to 2
  add(raw_file(2, 10 + 2 * sp, 20));
  read::StreamFileHasher h = hasher();
  read::FetchedStripe f = stripe(2);  // the schedule began at stripe 2
  h.order(f);
  read::StreamFileHasher::whole_files(f);
  ASSERT_EQ(f.digests.size(), 1u);
  EXPECT_EQ(f.digests[0].first, 2);
  EXPECT_EQ(f.digests[0].second, digest_of(files_[1]));
}

}  // namespace
}  // namespace ferry::test

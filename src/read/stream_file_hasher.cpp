#include "read/stream_file_hasher.h"

#include <algorithm>

namespace ferry::read {

StreamFileHasher::StreamFileHasher(const format::Layout& layout, NextFile next_file)
    : layout_(layout), next_file_(std::move(next_file)) {}

void StreamFileHasher::order(FetchedStripe& stripe) {
  stripe.digests.clear();
  stripe.whole_files.clear();
  const uint64_t lo = stripe.stripe * layout_.stripe_plain(), hi = lo + layout_.stripe_plain();
  for (;;) {
    if (!file_) {
      if (exhausted_) return;
      format::Entry e;
      do {
        if (!next_file_(e)) {
          exhausted_ = true;
          return;
        }
      } while (e.kind != format::EntryKind::kFile || !hashes(e));
      file_ = std::move(e);
      done_ = 0;
    }
    const uint64_t begin = file_->offset + done_, end = file_->offset + file_->stored;
    if (begin >= hi) return;  // starts in a later stripe
    if (begin < lo) {
      // Its earlier stripes never came: the schedule passed it over. Not hashed here;
      // FileStreamer finds no digest and reports the file as not intact.
      sha_.finish();
      file_.reset();
      continue;
    }
    if (done_ == 0 && end <= hi) {  // whole in this stripe: hashed in parallel
      stripe.whole_files.push_back({file_->id, static_cast<size_t>(begin - lo), static_cast<size_t>(file_->stored)});
      file_.reset();
      continue;
    }
    const uint64_t stop = std::min(end, hi);
    sha_.update(stripe.plain.data() + (begin - lo), static_cast<size_t>(stop - begin));
    done_ += stop - begin;
    if (stop < end) return;  // goes on in the next stripe
    stripe.digests.emplace_back(file_->id, sha_.finish());
    file_.reset();
  }
}

void StreamFileHasher::whole_files(FetchedStripe& stripe) {
  for (const FetchedStripe::FilePart& f : stripe.whole_files) {
    stripe.digests.emplace_back(f.id, codec::sha256(stripe.plain.data() + f.begin, f.len));
  }
}

}  // namespace ferry::read

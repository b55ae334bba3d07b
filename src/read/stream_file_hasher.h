// SHA-256 of the raw files of the data stream, computed while stripes are decoded,
// before they reach the thread that writes the files out. Restore's writing thread
// then only writes, and checks each file against the digest found here.
//
// StripeSource runs it as its two stages: order() one stripe at a time in schedule
// order, hashing the pieces of files that span stripes and noting the files a stripe
// holds whole; then whole_files() on several stripes at once, hashing those. The
// digest of each file travels with the stripe of its last byte
// (FetchedStripe::digests). Compressed files are hashed after decompression, by
// FileStreamer, and are not seen here.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "codec/sha256.h"
#include "format/catalog.h"
#include "read/stripe_source.h"

namespace ferry::read {

class StreamFileHasher {
 public:
  // Yields the files whose stripes the schedule delivers, in stream order (all of
  // them; the ones not stored raw, or empty, are passed over); false after the last.
  using NextFile = std::function<bool(format::Entry&)>;
  StreamFileHasher(const format::Layout& layout, NextFile next_file);

  // The ordered stage: hashes the pieces of files that span stripes, records the
  // digests of those that end here, and notes the files that lie whole in `stripe`.
  void order(FetchedStripe& stripe);
  // The unordered stage: hashes the files order() noted. Thread-safe.
  static void whole_files(FetchedStripe& stripe);
  // Both stages, for StripeSource.
  StripeSource::Stages stages() {
    return {[this](FetchedStripe& s) { order(s); }, [](FetchedStripe& s) { whole_files(s); }};
  }

  // Whether a file is hashed here (FileStreamer takes its digest from the stripes).
  static bool hashes(const format::Entry& e) {
    return e.encoding == format::Encoding::kRaw && e.stored > 0;
  }

 private:
  format::Layout layout_;
  NextFile next_file_;
  std::optional<format::Entry> file_;  // the file being hashed
  uint64_t done_ = 0;                  // its bytes hashed so far
  bool exhausted_ = false;
  codec::Sha256 sha_;
};

}  // namespace ferry::read

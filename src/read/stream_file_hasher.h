// SHA-256 of the raw files of the data stream, computed while stripes are decoded,
// before they reach the thread that writes the files out. Restore's writing thread
// then only writes, and checks each file against the digest found here.
//
// StripeSource calls hash() on its worker threads, one stripe at a time and in
// schedule order; the digest of each file that ends in a stripe travels with that
// stripe (FetchedStripe::digests). Compressed files are hashed after decompression,
// by FileStreamer, and are not seen here.
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

  // Hashes the parts of raw files in `stripe` and records the digests of those that
  // end in it.
  void hash(FetchedStripe& stripe);

  // Whether FileStreamer should take a raw file's digest from the stripes.
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

// SHA-256 of the files of the data stream, computed off the reading thread.
//
// The reader reads a file's bytes straight into the stripe being filled and notes them
// here (add); the stripe pipeline calls hash_stripe(s) on its ordered stage, after the
// stripe is submitted and before it is sealed, so the bytes are hashed while they are
// still plaintext and the reader is already filling the next stripe. Files are hashed
// one after another in stream order, so one SHA-256 context serves them all; each
// file's digest comes back under the ticket given to end_file().
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "codec/sha256.h"

namespace ferry::pack {

class StreamHasher {
 public:
  // Reader side. `data` lies in stripe `stripe` and must stay unchanged until that
  // stripe has passed hash_stripe().
  void add(uint64_t stripe, const uint8_t* data, size_t len);
  // Every byte of the current file has been added; its digest will be handed out by
  // take_finished() under `ticket`.
  void end_file(int64_t ticket);
  // The digests of the files finished since the last call, in stream order.
  std::vector<std::pair<int64_t, codec::Digest>> take_finished();
  // Drops what is noted and not yet hashed, with the file it belongs to: the stream
  // went back over it. Only while no pipeline calls hash_stripe().
  void forget_pending();

  // Pipeline side: hashes everything noted for stripes up to `stripe`. Called on one
  // thread, in stripe order.
  void hash_stripe(uint64_t stripe);

 private:
  struct Item {
    uint64_t stripe;
    const uint8_t* data;  // nullptr: the end of a file
    size_t len;
    int64_t ticket;
  };

  std::mutex mutex_;
  std::deque<Item> queue_;  // in stream order; an item leaves it once hashed
  // Updated by hash_stripe() outside the lock while the item it hashes is still at the
  // front of the queue; finished, under the lock, by whichever side meets a file's end
  // with nothing left before it.
  codec::Sha256 sha_;
  std::vector<std::pair<int64_t, codec::Digest>> finished_;
};

}  // namespace ferry::pack

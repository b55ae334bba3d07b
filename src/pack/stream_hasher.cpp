#include "pack/stream_hasher.h"

namespace ferry::pack {

void StreamHasher::add(uint64_t stripe, const uint8_t* data, size_t len) {
  if (len == 0) return;
  std::lock_guard lock(mutex_);
  queue_.push_back({stripe, data, len, 0});
}

void StreamHasher::end_file(int64_t ticket) {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) {
    finished_.emplace_back(ticket, sha_.finish());  // every byte of it is hashed already
  } else {
    queue_.push_back({0, nullptr, 0, ticket});
  }
}

std::vector<std::pair<int64_t, codec::Digest>> StreamHasher::take_finished() {
  std::lock_guard lock(mutex_);
  return std::exchange(finished_, {});
}

void StreamHasher::forget_pending() {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) return;
  queue_.clear();
  sha_.finish();  // the given-up file's state, discarded
}

void StreamHasher::hash_stripe(uint64_t stripe) {
  std::unique_lock lock(mutex_);
  while (!queue_.empty()) {
    Item item = queue_.front();
    if (!item.data) {
      finished_.emplace_back(item.ticket, sha_.finish());
      queue_.pop_front();
      continue;
    }
    if (item.stripe > stripe) break;
    lock.unlock();
    sha_.update(item.data, item.len);
    lock.lock();
    queue_.pop_front();
  }
}

}  // namespace ferry::pack

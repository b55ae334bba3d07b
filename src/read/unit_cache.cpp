#include "read/unit_cache.h"

namespace ferry::read {

UnitCache::Item UnitCache::get(const Key& key, const Load& load, bool* hit) {
  std::unique_lock lock(mutex_);
  for (;;) {
    auto it = slots_.find(key);
    if (it == slots_.end()) break;
    if (it->second.item) {
      ages_.splice(ages_.begin(), ages_, it->second.age);
      if (hit) *hit = true;
      return it->second.item;
    }
    loaded_.wait(lock);  // a load that fails erases its slot: then this thread tries
  }
  if (hit) *hit = false;
  slots_[key].age = ages_.end();
  lock.unlock();
  Item item;
  try {
    item = load();
  } catch (...) {
    lock.lock();
    slots_.erase(key);
    loaded_.notify_all();
    throw;
  }
  lock.lock();
  slots_.erase(key);
  insert_locked(key, item);
  loaded_.notify_all();
  return item;
}

bool UnitCache::contains(const Key& key) const {
  std::lock_guard lock(mutex_);
  return slots_.count(key) != 0;
}

void UnitCache::put(const Key& key, Item item) {
  std::lock_guard lock(mutex_);
  if (slots_.count(key)) return;
  insert_locked(key, std::move(item));
}

void UnitCache::insert_locked(const Key& key, Item item) {
  ages_.push_front(key);
  bytes_ += item->size();
  slots_[key] = Slot{std::move(item), ages_.begin()};
  evict_locked();
}

void UnitCache::evict_locked() {
  // The newest item always stays, so a budget below one unit still works (uncached).
  while (bytes_ > budget_ && ages_.size() > 1) {
    auto it = slots_.find(ages_.back());
    bytes_ -= it->second.item->size();
    slots_.erase(it);
    ages_.pop_back();
  }
}

}  // namespace ferry::read

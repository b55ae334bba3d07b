// Decrypted units and decompressed frames kept for reuse under a byte budget, least
// recently used first out. Thread-safe; when several threads want the same item at
// once, one loads it and the others wait for that load instead of repeating it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>

#include "util/no_init_allocator.h"

namespace ferry::read {

class UnitCache {
 public:
  // Units are keyed by their unit number; frames by (file id, frame index).
  struct Key {
    uint8_t kind;  // 0 unit, 1 frame
    uint64_t a, b;
    auto operator<=>(const Key&) const = default;
  };
  static Key unit(uint64_t number) { return {0, number, 0}; }
  static Key frame(int64_t file, uint64_t index) {
    return {1, static_cast<uint64_t>(file), index};
  }

  using Item = std::shared_ptr<const util::ByteBuffer>;
  using Load = std::function<Item()>;

  explicit UnitCache(uint64_t budget_bytes) : budget_(budget_bytes) {}

  // The item under `key`, loaded by `load` when absent (its exceptions reach every
  // caller waiting for it). `hit` says whether it was already there.
  Item get(const Key& key, const Load& load, bool* hit = nullptr);
  // Whether `key` is held or being loaded (for read-ahead, which skips those).
  bool contains(const Key& key) const;
  // Keeps an item loaded elsewhere (a rebuilt stripe's other units).
  void put(const Key& key, Item item);

 private:
  struct Slot {
    Item item;  // null while a thread loads it
    std::list<Key>::iterator age;
  };
  void insert_locked(const Key& key, Item item);
  void evict_locked();

  const uint64_t budget_;
  uint64_t bytes_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable loaded_;
  std::map<Key, Slot> slots_;
  std::list<Key> ages_;  // front: most recently used
};

}  // namespace ferry::read

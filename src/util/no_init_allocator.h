// An allocator that leaves new elements of trivial types uninitialised, so that
// resize() of a buffer about to be overwritten (by read(), decryption, ...) costs no
// memset pass over it. Everything else is std::allocator's.
#pragma once

#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace ferry::util {

template <typename T>
struct NoInitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = NoInitAllocator<U>;
  };
  NoInitAllocator() = default;
  template <typename U>
  NoInitAllocator(const NoInitAllocator<U>&) noexcept {}

  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;  // default-initialised: for bytes, left as they are
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// Bytes that are written before they are read.
using ByteBuffer = std::vector<uint8_t, NoInitAllocator<uint8_t>>;

}  // namespace ferry::util

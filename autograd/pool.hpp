// Internal: a per-thread pool of small memory blocks for the objects every recorded op makes and
// every backward frees (tensor handles, their storage, graph nodes and their edge lists).
#pragma once

#include <cstddef>
#include <new>

namespace xgrad::detail {

/// False under AddressSanitizer: then blocks and buffers go straight back to operator delete and
/// malloc, so that a use after free is still caught rather than hidden by a recycled block.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kRecycleMemory = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kRecycleMemory = false;
#else
inline constexpr bool kRecycleMemory = true;
#endif
#else
inline constexpr bool kRecycleMemory = true;
#endif

/// A block of at least `bytes` from this thread's pool (operator new beyond the largest class).
/// A graph of n ops is freed in one burst at the end of backward; malloc's per-thread cache keeps
/// 7 blocks per size and sends the rest down its slow path, this pool keeps thousands.
void* pool_allocate(std::size_t bytes);
/// Returns a block to the calling thread's pool, whichever thread allocated it.
void pool_deallocate(void* block, std::size_t bytes) noexcept;

/// A standard allocator over the pool, for std::allocate_shared and containers.
template <class T>
struct PoolAllocator {
  using value_type = T;
  static_assert(alignof(T) <= alignof(std::max_align_t), "pool blocks are max_align_t aligned");

  PoolAllocator() noexcept = default;
  template <class U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(pool_allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { pool_deallocate(p, n * sizeof(T)); }

  template <class U>
  bool operator==(const PoolAllocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const PoolAllocator<U>&) const noexcept {
    return false;
  }
};

}  // namespace xgrad::detail

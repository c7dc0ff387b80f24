// Internal: the per-thread block pool. Blocks come in classes of 32 bytes up to 512; each class is
// a free list threaded through the free blocks themselves, capped so a huge graph does not keep
// its memory once it is gone.
#include "autograd/pool.hpp"

#include <cstdint>

namespace xgrad::detail {

namespace {

constexpr std::size_t kGranule = 32;
constexpr std::size_t kClasses = 16;  // blocks of 32, 64, ..., 512 bytes
constexpr std::uint32_t kMaxFree = 8192;

struct FreeBlock {
  FreeBlock* next;
};

// Trivially destructible, so reading it needs no guard; `alive` turns false once the thread's
// Reaper has run (thread exit), after which blocks go straight to operator delete.
struct FreeLists {
  FreeBlock* head[kClasses];
  std::uint32_t count[kClasses];
  bool registered;
  bool alive;
};

thread_local FreeLists lists{};

struct Reaper {
  bool armed = false;
  ~Reaper() {
    for (std::size_t c = 0; c < kClasses; ++c) {
      while (FreeBlock* block = lists.head[c]) {
        lists.head[c] = block->next;
        ::operator delete(block);
      }
      lists.count[c] = 0;
    }
    lists.alive = false;
  }
};

thread_local Reaper reaper;

std::size_t class_of(std::size_t bytes) {
  return (bytes + kGranule - 1) / kGranule - 1;
}

}  // namespace

void* pool_allocate(std::size_t bytes) {
  const std::size_t c = class_of(bytes);
  if (kRecycleMemory && c < kClasses && bytes > 0) {
    if (FreeBlock* block = lists.head[c]) {
      lists.head[c] = block->next;
      --lists.count[c];
      return block;
    }
    if (!lists.registered) {  // first use on this thread: arrange the clean-up at thread exit
      lists.registered = true;
      lists.alive = true;
      reaper.armed = true;
    }
    return ::operator new((c + 1) * kGranule);
  }
  return ::operator new(bytes);
}

void pool_deallocate(void* block, std::size_t bytes) noexcept {
  const std::size_t c = class_of(bytes);
  if (kRecycleMemory && c < kClasses && bytes > 0 && lists.alive && lists.count[c] < kMaxFree) {
    auto* free_block = static_cast<FreeBlock*>(block);
    free_block->next = lists.head[c];
    lists.head[c] = free_block;
    ++lists.count[c];
    return;
  }
  ::operator delete(block);
}

}  // namespace xgrad::detail

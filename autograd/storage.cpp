// Internal: Storage allocation, and the per-thread bins of recycled value buffers.
#include "autograd/storage.hpp"
#include "autograd/tape.hpp"

#include <functional>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <xtensor/xstrides.hpp>

#include "autograd/pool.hpp"

namespace xgrad::detail {

std::atomic<std::uint64_t> in_place_changes{0};
std::atomic<std::size_t> lent_buffers{0};

namespace {

// The buffers from_blob lent, each with its owner's deleter (empty: none). A pointer may be lent
// more than once (two from_blob calls on the same memory), so each lending is its own entry, given
// back when the values holding it die.
struct Lent {
  std::mutex mutex;
  std::unordered_multimap<const void*, std::function<void(void*)>> deleters;
};

// Never destroyed: values lent a buffer may die during static destruction.
Lent& lent() {
  static Lent* registry = new Lent;
  return *registry;
}

}  // namespace

void lend(void* buffer, std::function<void(void*)> deleter) {
  Lent& registry = lent();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.deleters.emplace(buffer, std::move(deleter));
  lent_buffers.fetch_add(1, std::memory_order_relaxed);
}

bool give_back_if_lent(void* buffer) noexcept {
  std::function<void(void*)> deleter;
  {
    Lent& registry = lent();
    std::lock_guard<std::mutex> lock(registry.mutex);
    const auto entry = registry.deleters.find(buffer);
    if (entry == registry.deleters.end()) return false;
    deleter = std::move(entry->second);
    registry.deleters.erase(entry);
    lent_buffers.fetch_sub(1, std::memory_order_relaxed);
  }
  if (deleter) deleter(buffer);
  return true;
}

namespace {

// Below this size malloc's own free lists serve a buffer well; above it, it may be an mmap, or
// trimmed from the top of the heap, and come back as fresh pages.
constexpr std::size_t kMinRecycledBytes = std::size_t{64} << 10;
// What one thread keeps at most, per element type: about what a training step of a large model
// frees, without holding on to memory a program is done with.
constexpr std::size_t kMaxRecycledBytes = std::size_t{64} << 20;
constexpr std::size_t kMaxRecycledBuffers = 32;
// Misses in a row (requests no kept buffer fits) after which a miss hands kept buffers back to
// malloc: the program has moved on to other shapes. A training step of mixed sizes misses now and
// then while the buffers of a size are all in use; handing buffers back on each of those misses
// freed memory at the top of the heap that glibc returned to the kernel and the next step faulted
// back in (conv_digits: four brk calls and about 150 page faults a step, at 0.75x the speed).
constexpr std::size_t kMissesBeforeRelease = 8;

template <class T>
using Buffer = typename TensorValues<T>::storage_type;

// One thread's buffers of one element type, oldest first.
template <class T>
struct Bin {
  Bin() { buffers.reserve(kMaxRecycledBuffers + 1); }  // so keeping a buffer never allocates
  std::vector<Buffer<T>> buffers;
  std::size_t bytes = 0;
  std::size_t misses = 0;  // in a row
};

struct Bins {
  Bin<float> f32;
  Bin<double> f64;
};

Bin<float>& bin_of(Bins& bins, float) {
  return bins.f32;
}
Bin<double>& bin_of(Bins& bins, double) {
  return bins.f64;
}

// The pointer and flag are trivially destructible, so they stay readable while a thread's other
// thread_locals are destroyed; the owner frees the bins at thread exit and closes them, after
// which dying buffers simply go back to malloc.
thread_local Bins* thread_bins = nullptr;
thread_local bool bins_closed = false;

struct BinsOwner {
  bool armed = false;
  ~BinsOwner() {
    delete thread_bins;
    thread_bins = nullptr;
    bins_closed = true;
  }
};
thread_local BinsOwner bins_owner;

Bins* open_bins() {
  if (!thread_bins && !bins_closed) {
    thread_bins = new Bins;
    bins_owner.armed = true;  // constructs the owner, so its destructor runs at thread exit
  }
  return thread_bins;
}

bool recyclable(std::size_t bytes) {
  return kRecycleMemory && bytes >= kMinRecycledBytes && bytes <= kMaxRecycledBytes;
}

template <class T>
constexpr bool kRecycled = std::is_floating_point_v<T>;  // int64 and bool tensors are small

// Keeps the value buffer of a dying Storage, if large enough, dropping the oldest kept ones
// beyond the bounds.
void recycle(Storage& storage) noexcept {
  if (!storage.recyclable) return;
  std::visit(
      [](auto& values) {
        using T = typename std::decay_t<decltype(values)>::value_type;
        if constexpr (kRecycled<T>) {
          Buffer<T>& buffer = values.storage();
          const std::size_t bytes = buffer.size() * sizeof(T);
          if (!recyclable(bytes)) return;
          Bins* bins = open_bins();
          if (!bins) return;
          Bin<T>& bin = bin_of(*bins, T{});
          bin.buffers.push_back(std::move(buffer));
          bin.bytes += bytes;
          while (bin.bytes > kMaxRecycledBytes || bin.buffers.size() > kMaxRecycledBuffers) {
            bin.bytes -= bin.buffers.front().size() * sizeof(T);
            bin.buffers.erase(bin.buffers.begin());
          }
        }
      },
      static_cast<Storage::variant&>(storage));
}

// A kept buffer of exactly n values, the most recently kept first (likeliest still in cache).
// After kMissesBeforeRelease misses in a row, each further miss hands the oldest kept buffers, as
// many bytes as the new one needs, back to malloc, which can reuse that memory for it: when a
// program moves on to other shapes (an evaluation pass after training, say) kept buffers are
// handed back rather than added to its peak.
template <class T>
bool take_recycled(std::size_t n, Buffer<T>& out) {
  if (!recyclable(n * sizeof(T)) || !thread_bins) return false;
  Bin<T>& bin = bin_of(*thread_bins, T{});
  for (std::size_t i = bin.buffers.size(); i-- > 0;) {
    if (bin.buffers[i].size() == n) {
      out = std::move(bin.buffers[i]);
      bin.buffers.erase(bin.buffers.begin() + static_cast<long>(i));
      bin.bytes -= n * sizeof(T);
      bin.misses = 0;
      return true;
    }
  }
  if (++bin.misses < kMissesBeforeRelease) return false;
  std::size_t released = 0;
  while (released < n * sizeof(T) && !bin.buffers.empty()) {
    const std::size_t bytes = bin.buffers.front().size() * sizeof(T);
    bin.buffers.erase(bin.buffers.begin());
    bin.bytes -= bytes;
    released += bytes;
  }
  return false;
}

// The pool's allocator, except that destroying a Storage first recycles its value buffer.
template <class T>
struct StorageAllocator {
  using value_type = T;

  StorageAllocator() noexcept = default;
  template <class U>
  StorageAllocator(const StorageAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return PoolAllocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept { PoolAllocator<T>().deallocate(p, n); }

  template <class U>
  void destroy(U* p) noexcept {
    if constexpr (std::is_same_v<U, Storage>) recycle(*p);
    p->~U();
  }

  template <class U>
  bool operator==(const StorageAllocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const StorageAllocator<U>&) const noexcept {
    return false;
  }
};

// Storage allocated while a capture runs is noted, so that the capture can tell values a recorded
// kernel computed from values something else did.
std::shared_ptr<Storage> born(std::shared_ptr<Storage> storage) {
  if (active_tape) note_birth(storage);
  return storage;
}

}  // namespace

template <class T>
std::shared_ptr<Storage> make_storage(TensorValues<T>&& values) {
  auto storage = std::allocate_shared<Storage>(StorageAllocator<Storage>(), std::move(values));
  // Not into the bins when they die: buffers made outside them (a model's initial weights, a
  // batch the caller built) are mostly of sizes no op asks for, and would sit there until the
  // bin's byte bound pushed them out (a benchmark re-creating its model each repetition grew by
  // the model's size per repetition). This is also what keeps a buffer from_blob lent out of the
  // bins: it is the caller's.
  storage->recyclable = false;
  return born(std::move(storage));
}

template <class T>
std::shared_ptr<Storage> allocate_storage(ShapeRef shape) {
  typename TensorValues<T>::shape_type extents(shape.begin(), shape.end());
  Buffer<T> buffer;
  if constexpr (!kRecycled<T>) {
    return std::allocate_shared<Storage>(StorageAllocator<Storage>(),
                                         std::in_place_type<TensorValues<T>>, extents);
  } else if (take_recycled<T>(shape_numel(shape), buffer)) {
    typename TensorValues<T>::strides_type strides(extents.size());
    xt::compute_strides(extents, xt::layout_type::row_major, strides);
    return std::allocate_shared<Storage>(StorageAllocator<Storage>(),
                                         std::in_place_type<TensorValues<T>>, std::move(buffer),
                                         std::move(extents), std::move(strides));
  }
  return std::allocate_shared<Storage>(StorageAllocator<Storage>(),
                                       std::in_place_type<TensorValues<T>>, extents);
}

template <class T>
std::shared_ptr<Storage> make_storage(ShapeRef shape) {
  return born(allocate_storage<T>(shape));
}

std::size_t recycled_buffers() noexcept {
  return thread_bins ? thread_bins->f32.buffers.size() + thread_bins->f64.buffers.size() : 0;
}

template std::shared_ptr<Storage> make_storage<float>(TensorValues<float>&& values);
template std::shared_ptr<Storage> make_storage<double>(TensorValues<double>&& values);
template std::shared_ptr<Storage> make_storage<float>(ShapeRef shape);
template std::shared_ptr<Storage> make_storage<double>(ShapeRef shape);
template std::shared_ptr<Storage> make_storage<std::int64_t>(TensorValues<std::int64_t>&& values);
template std::shared_ptr<Storage> make_storage<bool>(TensorValues<bool>&& values);
template std::shared_ptr<Storage> make_storage<std::int64_t>(ShapeRef shape);
template std::shared_ptr<Storage> make_storage<bool>(ShapeRef shape);

}  // namespace xgrad::detail

// Internal: how a tensor's values are allocated. The Storage block comes from the per-thread pool;
// a large value buffer, when its tensor dies, is kept for the next tensor of the same size instead
// of going back to malloc.
#pragma once

#include <functional>
#include <memory>

#include "autograd/shape.hpp"
#include "autograd/tensor.hpp"

namespace xgrad::detail {

/// Lends `buffer` to the values that will next be made with a ValueAllocator holding it
/// (from_blob): when they die it is given back, `deleter` (if any) called with it, instead of
/// freed.
void lend(void* buffer, std::function<void(void*)> deleter);

/// Storage holding `values`.
template <class T>
std::shared_ptr<Storage> make_storage(TensorValues<T>&& values);

/// Storage of `shape` with uninitialised values, in a recycled buffer when one of that size is at
/// hand: a training loop makes the same shapes every step, and a large buffer handed back to
/// malloc goes back to the operating system, to be faulted in again page by page (a 4 MB gradient
/// is a thousand page faults, each clearing its page).
template <class T>
std::shared_ptr<Storage> make_storage(ShapeRef shape);

/// How many value buffers the calling thread keeps for reuse (float32 and float64): for tests.
std::size_t recycled_buffers() noexcept;

extern template std::shared_ptr<Storage> make_storage<float>(TensorValues<float>&& values);
extern template std::shared_ptr<Storage> make_storage<double>(TensorValues<double>&& values);
extern template std::shared_ptr<Storage> make_storage<float>(ShapeRef shape);
extern template std::shared_ptr<Storage> make_storage<double>(ShapeRef shape);
extern template std::shared_ptr<Storage> make_storage<std::int64_t>(TensorValues<std::int64_t>&&);
extern template std::shared_ptr<Storage> make_storage<bool>(TensorValues<bool>&& values);
extern template std::shared_ptr<Storage> make_storage<std::int64_t>(ShapeRef shape);
extern template std::shared_ptr<Storage> make_storage<bool>(ShapeRef shape);

}  // namespace xgrad::detail

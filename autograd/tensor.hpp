// Tensor: an n-dimensional float32/float64/int64/bool array (xtensor storage) that can record the
// operations applied to it and carry a gradient, as PyTorch's torch::Tensor does.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <xtensor/xarray.hpp>

#include "autograd/dtype.hpp"
#include "autograd/shape.hpp"

namespace xgrad {

class Node;
class BackwardStep;
class TensorIndex;
class PostAccumulateGradHook;

namespace detail {

/// The buffers from_blob lent: how many are live (a fast "none" test for deallocate), and giving
/// one back to its owner (its deleter runs, if it has one) instead of freeing it.
extern std::atomic<std::size_t> lent_buffers;
bool give_back_if_lent(void* buffer) noexcept;

/// The allocator of every tensor's values: std::allocator, except that one made with a caller's
/// buffer (from_blob) hands out that buffer on its first allocation, and that a lent buffer, when
/// the values holding it die, goes back to its owner rather than to operator delete. The lent
/// pointer is used once, so after construction every ValueAllocator behaves alike and compares
/// equal (moving values between tensors never needs a copy).
template <class T>
struct ValueAllocator {
  using value_type = T;
  using is_always_equal = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;

  ValueAllocator() noexcept = default;
  explicit ValueAllocator(T* lend) noexcept : lent(lend) {}
  template <class U>
  ValueAllocator(const ValueAllocator<U>&) noexcept {}
  ValueAllocator select_on_container_copy_construction() const noexcept { return {}; }

  T* allocate(std::size_t n) {
    if (__builtin_expect(lent != nullptr, 0)) return std::exchange(lent, nullptr);
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (__builtin_expect(lent_buffers.load(std::memory_order_relaxed) != 0, 0) &&
        give_back_if_lent(p)) {
      return;
    }
    std::allocator<T>().deallocate(p, n);
  }

  template <class U>
  bool operator==(const ValueAllocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const ValueAllocator<U>&) const noexcept {
    return false;
  }

  T* lent = nullptr;  // from_blob's buffer, until the first allocation takes it
};

}  // namespace detail

/// The xtensor container of a tensor's values (Tensor::data): an xt::xarray, row-major, whose
/// allocator lets from_blob's tensors use memory the caller owns. It converts to and from
/// xt::xarray<T> by copying.
template <class T>
using TensorValues = xt::xarray<T, xt::layout_type::row_major, detail::ValueAllocator<T>>;

namespace detail {

/// The values of a tensor, one alternative per Dtype in its order. Shared by a tensor, its
/// detach()ed copies and the saved-output handles of backward nodes, so none of those copies the
/// data. `version` counts the in-place changes of the values (PyTorch's version counter): a node
/// records the versions of what its backward reads and refuses to run if they moved on;
/// `modified_by` names the op of the last change, for that error.
struct Storage : std::variant<TensorValues<float>, TensorValues<double>, TensorValues<std::int64_t>,
                              TensorValues<bool>> {
  using variant::variant;
  std::uint32_t version = 0;
  const char* modified_by = nullptr;
  // For CapturedGraph (capture.hpp): the capture running when these values were allocated, and
  // the last capture in which a recorded kernel wrote them (0: none).
  std::uint32_t born_in_capture = 0;
  std::uint32_t written_in_capture = 0;
  // False for values the caller allocated (Tensor(values), from_blob): they did not come from the
  // per-thread bins of recycled buffers (storage.cpp), so they do not go back into them either.
  bool recyclable = true;
};

struct Tape;
/// The capture running on this thread (CapturedGraph::capture), or null: almost always null.
extern thread_local Tape* active_tape;
/// Called by bump_version while a capture runs: an in-place change that no recorded kernel made
/// (so a replay would not repeat it) makes the capture fail.
void note_in_place_change(Storage& storage, const char* op);

/// How many in-place changes of any tensor's values this process has made. A node reads it when
/// it saves its inputs' versions, and its backward checks them one by one only if it moved on
/// since: most backward passes follow their forward with no in-place change in between.
extern std::atomic<std::uint64_t> in_place_changes;

/// Marks an in-place change of `storage`'s values by `op` (a string literal).
inline void bump_version(Storage& storage, const char* op) {
  ++storage.version;
  storage.modified_by = op;
  in_place_changes.fetch_add(1, std::memory_order_relaxed);
  if (active_tape) note_in_place_change(storage, op);
}

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  std::shared_ptr<Node> grad_fn;         // the node that made this tensor; null for a leaf
  std::weak_ptr<Node> grad_accumulator;  // a leaf's AccumulateGrad node, while a graph uses it
  std::shared_ptr<TensorImpl> grad;      // accumulated gradient; null until a backward reaches it
  std::shared_ptr<BackwardStep> backward_step;  // a leaf's update taken in backward, if any
  std::shared_ptr<PostAccumulateGradHook> post_accumulate_grad_hook;  // told of complete gradients
  bool requires_grad = false;
};

}  // namespace detail

/// A handle to a tensor; copies share the same tensor (as torch::Tensor copies do). A
/// default-constructed Tensor is undefined: defined() is false and most calls throw.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(TensorValues<float> values, bool requires_grad = false);
  explicit Tensor(TensorValues<double> values, bool requires_grad = false);
  /// Integer and boolean tensors never require grad.
  explicit Tensor(TensorValues<std::int64_t> values);
  explicit Tensor(TensorValues<bool> values);
  /// From a plain xt::xarray, whose values are copied into the tensor's own container.
  explicit Tensor(const xt::xarray<float>& values, bool requires_grad = false);
  explicit Tensor(const xt::xarray<double>& values, bool requires_grad = false);
  explicit Tensor(const xt::xarray<std::int64_t>& values);
  explicit Tensor(const xt::xarray<bool>& values);
  explicit Tensor(std::shared_ptr<detail::TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  Dtype dtype() const;
  Shape shape() const;
  /// The extents as a view into the tensor's own (no allocation), as PyTorch's sizes(); valid
  /// until the tensor's values are replaced.
  ShapeRef sizes() const;
  std::size_t dim() const;
  std::size_t numel() const;
  /// The extent of one axis; negative axes count from the end.
  std::size_t size(long axis) const;

  /// The values as an xtensor container. T must match dtype(): data<float>() of a float64 tensor
  /// throws std::invalid_argument. Writing through it changes the tensor in place, unseen by
  /// autograd, as torch's .data does.
  template <class T>
  TensorValues<T>& data();
  template <class T>
  const TensorValues<T>& data() const;
  /// The first value, row-major, as torch's data_ptr<T>(): numel() values follow it. The same
  /// checks as data<T>(); null for a tensor with no elements. Valid while the tensor's values
  /// are (an op that replaces them, such as set_data, moves them elsewhere).
  template <class T>
  T* data_ptr() {
    return data<T>().data();
  }
  template <class T>
  const T* data_ptr() const {
    return data<T>().data();
  }
  /// The value of a one-element tensor, as a double. Throws std::invalid_argument otherwise.
  double item() const;
  /// The value of a one-element tensor as T (float, double, std::int64_t or bool), converted from
  /// the tensor's dtype; a float that does not fit an int64 throws std::invalid_argument.
  template <class T>
  T item() const;
  /// All values, row-major, converted to T as item<T>() converts one (torch's tolist, flat).
  template <class T>
  std::vector<T> to_vector() const;
  /// How many times the values were changed in place (by add_, an optimizer step, set_data...).
  std::uint32_t version() const;

  bool requires_grad() const;
  /// Marks a leaf as a parameter whose gradient backward() accumulates. Throws
  /// std::invalid_argument on a non-leaf (its requires_grad follows from its inputs) and on an
  /// int64 or bool tensor (only floating-point tensors can require gradients).
  Tensor& requires_grad_(bool requires_grad = true);
  /// True for tensors made by the user rather than by a recorded op.
  bool is_leaf() const;
  /// The gradient accumulated by backward(); undefined until a backward reaches this leaf.
  Tensor grad() const;
  void set_grad(const Tensor& grad);
  /// Fills the gradient with zeros in place (keeping its buffer); no-op if there is none.
  void zero_grad();
  /// The node that recorded this tensor; null for a leaf.
  const std::shared_ptr<Node>& grad_fn() const;

  /// Gives this leaf an update that backward() takes as soon as the leaf's gradient is complete,
  /// instead of storing the gradient in .grad() (null removes it). See BackwardStep (engine.hpp);
  /// optim::Optimizer::fuse_into_backward installs one per parameter. Throws
  /// std::invalid_argument on a tensor that is not a leaf requiring grad.
  void set_backward_step(std::shared_ptr<BackwardStep> step);
  const std::shared_ptr<BackwardStep>& backward_step() const;
  /// Gives this leaf a hook that a plain backward() calls as soon as the leaf's gradient in that
  /// pass is complete (PyTorch's register_post_accumulate_grad_hook); null removes it. See
  /// PostAccumulateGradHook (engine.hpp). Throws std::invalid_argument on a tensor that is not a
  /// leaf requiring grad.
  void set_post_accumulate_grad_hook(std::shared_ptr<PostAccumulateGradHook> hook);
  const std::shared_ptr<PostAccumulateGradHook>& post_accumulate_grad_hook() const;

  /// Backpropagates from this tensor into the .grad() of every leaf that requires grad. A scalar
  /// needs no gradient; any other tensor needs one of its own shape. Without retain_graph the graph
  /// is freed as it is walked; create_graph records the backward pass so it can be differentiated
  /// again (and implies retain_graph). As in PyTorch, a leaf's .grad() from a create_graph backward
  /// carries a graph that refers back to the leaf, a reference cycle: set_grad(Tensor()) when done
  /// with it, or use autograd::grad, which returns gradients instead of storing them.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false,
                bool create_graph = false) const;

  /// Replaces this leaf's values (shape and dtype may change) for every handle to it, as torch's
  /// set_data does; drops the gradient. For dtype conversion and loading checkpoints. A graph
  /// recorded before that read the old values refuses to run backward (as after an in-place
  /// change). Throws std::invalid_argument on a non-leaf, and for int64 or bool values on a leaf
  /// that requires grad.
  void set_data(const Tensor& values);

  /// A tensor sharing these values, cut from the graph (a leaf with requires_grad false).
  Tensor detach() const;
  /// Differentiable copies: to another dtype (identity if the same), or of the values.
  Tensor to(Dtype dtype) const;
  Tensor clone() const;

  // Method forms of common ops (see ops.hpp for their contracts).
  Tensor sum(const std::vector<long>& axes = {}, bool keepdim = false) const;
  Tensor mean(const std::vector<long>& axes = {}, bool keepdim = false) const;
  Tensor max(const std::vector<long>& axes = {}, bool keepdim = false) const;
  Tensor reshape(std::initializer_list<long> shape) const;
  Tensor reshape(const Shape& shape) const;
  /// The transpose of a 2-D tensor.
  Tensor t() const;
  /// Indexing as in Python: x.index({Slice(1, -1), 0}) is x[1:-1, 0] (see indexing.hpp).
  Tensor index(const std::vector<TensorIndex>& indices) const;

  // In-place forms of the ops in inplace.hpp, as torch's x.add_(y): each returns *this.
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  Tensor& sub_(const Tensor& other, double alpha = 1.0);
  Tensor& mul_(const Tensor& other);
  Tensor& div_(const Tensor& other);
  Tensor& add_(double s);
  Tensor& sub_(double s);
  Tensor& mul_(double s);
  Tensor& div_(double s);
  Tensor& zero_();
  Tensor& fill_(double value);
  Tensor& clamp_(double min, double max);
  Tensor& copy_(const Tensor& src);
  Tensor& masked_fill_(const Tensor& mask, double value);

  /// shape() == shape, without building a Shape.
  bool has_shape(ShapeRef shape) const;
  bool has_shape(const Shape& shape) const { return has_shape(ShapeRef(shape)); }

  /// True when both handles refer to the same tensor.
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }
  const std::shared_ptr<detail::TensorImpl>& impl() const { return impl_; }

 private:
  std::shared_ptr<detail::TensorImpl> impl_;
};

/// One input of record(), borrowed: `{x, y}` names the tensors without copying their handles (a
/// copy counts a reference up and down, a locked instruction each once the process has a second
/// thread). Valid for the call it is passed to, temporaries included.
class InputRef {
 public:
  InputRef(const Tensor& tensor) : tensor_(&tensor) {}  // implicit, so that {x, y} builds one
  const Tensor& get() const { return *tensor_; }
  operator const Tensor&() const { return *tensor_; }

 private:
  const Tensor* tensor_;
};

extern template TensorValues<float>& Tensor::data<float>();
extern template TensorValues<double>& Tensor::data<double>();
extern template const TensorValues<float>& Tensor::data<float>() const;
extern template const TensorValues<double>& Tensor::data<double>() const;
extern template TensorValues<std::int64_t>& Tensor::data<std::int64_t>();
extern template TensorValues<bool>& Tensor::data<bool>();
extern template const TensorValues<std::int64_t>& Tensor::data<std::int64_t>() const;
extern template const TensorValues<bool>& Tensor::data<bool>() const;

namespace detail {

/// A fresh handle (requires_grad false, no values), from the per-thread pool.
std::shared_ptr<TensorImpl> new_impl();
/// A tensor of `shape` whose T values are left uninitialised, the container built in place: the
/// output buffer of a kernel.
template <class T>
Tensor empty_tensor(ShapeRef shape);
extern template Tensor empty_tensor<float>(ShapeRef shape);
extern template Tensor empty_tensor<double>(ShapeRef shape);
extern template Tensor empty_tensor<std::int64_t>(ShapeRef shape);
extern template Tensor empty_tensor<bool>(ShapeRef shape);

}  // namespace detail

/// Prints values, dtype and, when set, requires_grad: "tensor({1., 2.}, dtype=float32)".
std::ostream& operator<<(std::ostream& out, const Tensor& tensor);

}  // namespace xgrad

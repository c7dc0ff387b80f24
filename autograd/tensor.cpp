// Tensor: construction, metadata, value access, gradient bookkeeping and printing.
#include "autograd/tensor.hpp"

#include <algorithm>
#include <ostream>
#include <stdexcept>
#include <string>

#include <xtensor/xio.hpp>

#include "autograd/engine.hpp"
#include "autograd/factory.hpp"
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/pool.hpp"
#include "autograd/storage.hpp"

namespace xgrad {

namespace {

void check_can_require_grad(const char* op, Dtype dtype) {
  if (!is_floating_point(dtype)) {
    throw std::invalid_argument(std::string(op) +
                                ": only floating-point tensors can require gradients; this "
                                "tensor is " +
                                dtype_name(dtype));
  }
}

template <class T>
std::shared_ptr<detail::TensorImpl> make_impl(TensorValues<T>&& values, bool requires_grad) {
  if (requires_grad) check_can_require_grad("Tensor", dtype_of<T>());
  auto impl = detail::new_impl();
  impl->storage = detail::make_storage(std::move(values));
  impl->requires_grad = requires_grad;
  return impl;
}

[[noreturn]] __attribute__((noinline, cold)) void throw_undefined(const char* what) {
  throw std::runtime_error(std::string(what) + ": tensor is undefined");
}

// On every accessor's path, so small enough to inline once the throw is out of line.
inline const detail::TensorImpl& checked(const std::shared_ptr<detail::TensorImpl>& impl,
                                         const char* what) {
  if (__builtin_expect(!impl, 0)) throw_undefined(what);
  return *impl;
}

}  // namespace

Tensor::Tensor(TensorValues<float> values, bool requires_grad)
    : impl_(make_impl(std::move(values), requires_grad)) {}

Tensor::Tensor(TensorValues<double> values, bool requires_grad)
    : impl_(make_impl(std::move(values), requires_grad)) {}

Tensor::Tensor(TensorValues<std::int64_t> values) : impl_(make_impl(std::move(values), false)) {}

Tensor::Tensor(TensorValues<bool> values) : impl_(make_impl(std::move(values), false)) {}

Tensor::Tensor(const xt::xarray<float>& values, bool requires_grad)
    : impl_(make_impl(TensorValues<float>(values), requires_grad)) {}

Tensor::Tensor(const xt::xarray<double>& values, bool requires_grad)
    : impl_(make_impl(TensorValues<double>(values), requires_grad)) {}

Tensor::Tensor(const xt::xarray<std::int64_t>& values)
    : impl_(make_impl(TensorValues<std::int64_t>(values), false)) {}

Tensor::Tensor(const xt::xarray<bool>& values)
    : impl_(make_impl(TensorValues<bool>(values), false)) {}

Dtype Tensor::dtype() const {
  // The alternatives of Storage are in the order of Dtype.
  return static_cast<Dtype>(checked(impl_, "dtype").storage->index());
}

Shape Tensor::shape() const {
  checked(impl_, "shape");
  return sizes().vec();
}

ShapeRef Tensor::sizes() const {
  return std::visit([](const auto& a) -> ShapeRef { return a.shape(); },
                    *checked(impl_, "sizes").storage);
}

bool Tensor::has_shape(ShapeRef shape) const {
  checked(impl_, "has_shape");
  return sizes() == shape;
}

std::size_t Tensor::dim() const {
  return std::visit([](const auto& a) { return a.dimension(); }, *checked(impl_, "dim").storage);
}

std::size_t Tensor::numel() const {
  return std::visit([](const auto& a) { return a.size(); }, *checked(impl_, "numel").storage);
}

std::size_t Tensor::size(long axis) const {
  checked(impl_, "size");
  const ShapeRef s = sizes();
  return s[normalize_axis("size", axis, s)];
}

template <class T>
TensorValues<T>& Tensor::data() {
  auto* values = std::get_if<TensorValues<T>>(checked(impl_, "data").storage.get());
  if (!values) {
    throw std::invalid_argument(std::string("data: tensor is ") + dtype_name(dtype()) + ", not " +
                                dtype_name(dtype_of<T>()));
  }
  return *values;
}

template <class T>
const TensorValues<T>& Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}

template TensorValues<float>& Tensor::data<float>();
template TensorValues<double>& Tensor::data<double>();
template const TensorValues<float>& Tensor::data<float>() const;
template const TensorValues<double>& Tensor::data<double>() const;
template TensorValues<std::int64_t>& Tensor::data<std::int64_t>();
template TensorValues<bool>& Tensor::data<bool>();
template const TensorValues<std::int64_t>& Tensor::data<std::int64_t>() const;
template const TensorValues<bool>& Tensor::data<bool>() const;

double Tensor::item() const {
  return item<double>();
}

template <class T>
T Tensor::item() const {
  checked(impl_, "item");
  if (numel() != 1) {
    throw std::invalid_argument("item: tensor of shape " + format_shape(shape()) + " has " +
                                std::to_string(numel()) + " elements, not 1");
  }
  if (detail::active_tape) {
    detail::capture_unsupported("item(), a read of a value on the host (read it after replay()),");
  }
  return std::visit([](const auto& a) { return kernels::convert_value<T>("item", a.data()[0]); },
                    static_cast<const detail::Storage::variant&>(*impl_->storage));
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  if (detail::active_tape) {
    detail::capture_unsupported(
        "to_vector(), a read of values on the host (read them after replay()),");
  }
  return std::visit(
      [](const auto& a) {
        std::vector<T> out(a.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
          out[i] = kernels::convert_value<T>("to_vector", a.data()[i]);
        }
        return out;
      },
      static_cast<const detail::Storage::variant&>(*checked(impl_, "to_vector").storage));
}

template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template std::int64_t Tensor::item<std::int64_t>() const;
template bool Tensor::item<bool>() const;
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;
template std::vector<bool> Tensor::to_vector<bool>() const;

std::uint32_t Tensor::version() const {
  return checked(impl_, "version").storage->version;
}

bool Tensor::requires_grad() const {
  return checked(impl_, "requires_grad").requires_grad;
}

Tensor& Tensor::requires_grad_(bool requires_grad) {
  checked(impl_, "requires_grad_");
  if (requires_grad) check_can_require_grad("requires_grad_", dtype());
  if (impl_->grad_fn) {
    throw std::invalid_argument(
        "requires_grad_: only leaf tensors can change requires_grad; this tensor was made by '" +
        impl_->grad_fn->name() + "' (use detach() to get a leaf)");
  }
  impl_->requires_grad = requires_grad;
  return *this;
}

bool Tensor::is_leaf() const {
  return checked(impl_, "is_leaf").grad_fn == nullptr;
}

Tensor Tensor::grad() const {
  return Tensor(checked(impl_, "grad").grad);
}

void Tensor::set_grad(const Tensor& grad) {
  checked(impl_, "set_grad");
  if (grad.defined() && (grad.shape() != shape() || grad.dtype() != dtype())) {
    throw std::invalid_argument("set_grad: gradient is " + std::string(dtype_name(grad.dtype())) +
                                " " + format_shape(grad.shape()) + ", tensor is " +
                                dtype_name(dtype()) + " " + format_shape(shape()));
  }
  impl_->grad = grad.impl_;
}

void Tensor::zero_grad() {
  const auto& grad = checked(impl_, "zero_grad").grad;
  if (!grad) return;
  // Reuse the buffer unless autograd or another tensor still reads these values.
  if (!grad->grad_fn && grad->storage.use_count() == 1) {
    std::visit([](auto& a) { a.fill(0); }, *grad->storage);
    if (detail::active_tape) {  // a step captured with zero_grad zeroes the gradient on replay
      const Tensor g(grad);
      dispatch_any(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        detail::record_kernel("zero_grad", {}, {&g},
                              [n = g.numel(), storage = grad->storage.get()] {
                                std::fill_n(detail::replay_values<T>(*storage, n), n, T(0));
                              });
      });
    }
  } else {
    impl_->grad = zeros(shape(), dtype()).impl_;
  }
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  return checked(impl_, "grad_fn").grad_fn;
}

void Tensor::set_backward_step(std::shared_ptr<BackwardStep> step) {
  const auto& impl = checked(impl_, "set_backward_step");
  if (step && (impl.grad_fn || !impl.requires_grad)) {
    throw std::invalid_argument(
        "set_backward_step: only a leaf that requires grad can take a step in backward; this "
        "tensor " +
        std::string(impl.grad_fn ? "was made by '" + impl.grad_fn->name() + "'"
                                 : "does not require grad"));
  }
  impl_->backward_step = std::move(step);
}

const std::shared_ptr<BackwardStep>& Tensor::backward_step() const {
  return checked(impl_, "backward_step").backward_step;
}

void Tensor::set_post_accumulate_grad_hook(std::shared_ptr<PostAccumulateGradHook> hook) {
  const auto& impl = checked(impl_, "set_post_accumulate_grad_hook");
  if (hook && (impl.grad_fn || !impl.requires_grad)) {
    throw std::invalid_argument(
        "set_post_accumulate_grad_hook: only a leaf that requires grad has a gradient to hook; "
        "this tensor " +
        std::string(impl.grad_fn ? "was made by '" + impl.grad_fn->name() + "'"
                                 : "does not require grad"));
  }
  impl_->post_accumulate_grad_hook = std::move(hook);
}

const std::shared_ptr<PostAccumulateGradHook>& Tensor::post_accumulate_grad_hook() const {
  return checked(impl_, "post_accumulate_grad_hook").post_accumulate_grad_hook;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  checked(impl_, "backward");
  autograd::backward({*this}, {gradient}, retain_graph, create_graph);
}

void Tensor::set_data(const Tensor& values) {
  checked(impl_, "set_data");
  checked(values.impl_, "set_data");
  if (impl_->grad_fn) {
    throw std::invalid_argument(
        "set_data: only leaf tensors can have their values replaced; "
        "this tensor was made by '" +
        impl_->grad_fn->name() + "'");
  }
  if (impl_->requires_grad) check_can_require_grad("set_data", values.dtype());
  // Whatever saved the old values for a backward must now refuse to run: the engine finds this
  // tensor holding other values than it saved (see Node::check_saved_versions).
  bump_version(*impl_->storage, "set_data");
  impl_->storage = values.impl_->storage;
  impl_->grad.reset();
}

Tensor Tensor::detach() const {
  auto impl = detail::new_impl();
  impl->storage = checked(impl_, "detach").storage;
  return Tensor(std::move(impl));
}

Tensor Tensor::to(Dtype dtype) const {
  return xgrad::to(*this, dtype);
}
Tensor Tensor::clone() const {
  return xgrad::clone(*this);
}
Tensor Tensor::sum(const std::vector<long>& axes, bool keepdim) const {
  return xgrad::sum(*this, axes, keepdim);
}
Tensor Tensor::mean(const std::vector<long>& axes, bool keepdim) const {
  return xgrad::mean(*this, axes, keepdim);
}
Tensor Tensor::max(const std::vector<long>& axes, bool keepdim) const {
  return xgrad::max(*this, axes, keepdim);
}
Tensor Tensor::reshape(std::initializer_list<long> shape) const {
  return xgrad::reshape(*this, shape);
}
Tensor Tensor::reshape(const Shape& shape) const {
  return xgrad::reshape(*this, shape);
}
Tensor Tensor::t() const {
  return xgrad::transpose(*this);
}
Tensor Tensor::index(const std::vector<TensorIndex>& indices) const {
  return xgrad::index(*this, indices);
}
Tensor& Tensor::add_(const Tensor& other, double alpha) {
  return xgrad::add_(*this, other, alpha);
}
Tensor& Tensor::sub_(const Tensor& other, double alpha) {
  return xgrad::sub_(*this, other, alpha);
}
Tensor& Tensor::mul_(const Tensor& other) {
  return xgrad::mul_(*this, other);
}
Tensor& Tensor::div_(const Tensor& other) {
  return xgrad::div_(*this, other);
}
Tensor& Tensor::add_(double s) {
  return xgrad::add_(*this, s);
}
Tensor& Tensor::sub_(double s) {
  return xgrad::sub_(*this, s);
}
Tensor& Tensor::mul_(double s) {
  return xgrad::mul_(*this, s);
}
Tensor& Tensor::div_(double s) {
  return xgrad::div_(*this, s);
}
Tensor& Tensor::zero_() {
  return xgrad::zero_(*this);
}
Tensor& Tensor::fill_(double value) {
  return xgrad::fill_(*this, value);
}
Tensor& Tensor::clamp_(double min, double max) {
  return xgrad::clamp_(*this, min, max);
}
Tensor& Tensor::copy_(const Tensor& src) {
  return xgrad::copy_(*this, src);
}
Tensor& Tensor::masked_fill_(const Tensor& mask, double value) {
  return xgrad::masked_fill_(*this, mask, value);
}

namespace detail {

std::shared_ptr<TensorImpl> new_impl() {
  return std::allocate_shared<TensorImpl>(PoolAllocator<TensorImpl>());
}

template <class T>
Tensor empty_tensor(ShapeRef shape) {
  auto impl = new_impl();
  impl->storage = make_storage<T>(shape);
  return Tensor(std::move(impl));
}

template Tensor empty_tensor<float>(ShapeRef shape);
template Tensor empty_tensor<double>(ShapeRef shape);
template Tensor empty_tensor<std::int64_t>(ShapeRef shape);
template Tensor empty_tensor<bool>(ShapeRef shape);

}  // namespace detail

std::ostream& operator<<(std::ostream& out, const Tensor& tensor) {
  if (!tensor.defined()) return out << "tensor(undefined)";
  out << "tensor(";
  std::visit([&](const auto& a) { out << a; }, *tensor.impl()->storage);
  out << ", dtype=" << dtype_name(tensor.dtype());
  if (tensor.grad_fn()) {
    out << ", grad_fn=" << tensor.grad_fn()->name();
  } else if (tensor.requires_grad()) {
    out << ", requires_grad=true";
  }
  return out << ')';
}

}  // namespace xgrad

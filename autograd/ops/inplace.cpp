// In-place ops. Outside a graph each writes into the tensor's own values and bumps their version.
// Inside one (grad mode on, and the tensor or an operand requires grad) it is recorded as the
// out-of-place op applied to a copy of the old values, whose result is written back: the old
// history stays intact for the nodes that saved it, which the version bump then stops.
#include "autograd/ops/inplace.hpp"

#include <stdexcept>
#include <string>

#include "autograd/factory.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops/comparison.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/reduction.hpp"
#include "autograd/ops/shape_ops.hpp"

namespace xgrad {

namespace {

void check_leaf(const char* op, const Tensor& self) {
  kernels::check_defined(op, self);
  if (self.requires_grad() && self.is_leaf() && GradMode::is_enabled()) {
    throw std::runtime_error(std::string(op) +
                             ": a leaf tensor that requires grad cannot be changed in place while "
                             "grad mode is on; wrap the update in no_grad (as optimizers do)");
  }
}

void check_into(const char* op, const Tensor& self, const Tensor& other) {
  kernels::check_defined(op, other);
  const ShapeRef shape = self.sizes();
  const ShapeRef other_shape = other.sizes();
  if (shape != other_shape && broadcast_shapes(op, shape.vec(), other_shape.vec()) != shape.vec()) {
    throw std::invalid_argument(std::string(op) + ": cannot broadcast " +
                                format_shape(other_shape) + " into the shape " +
                                format_shape(shape) + " of the tensor being changed");
  }
}

// Copies the values of `from` (self's shape and dtype) into self's own buffer.
void write_values(Tensor& self, const Tensor& from) {
  dispatch_any(self.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = kernels::values<T>(from);
    T* dst = kernels::values<T>(self);
    if (src != dst) std::copy(src, src + self.numel(), dst);
  });
}

// self = compute(self), in place. With a graph to record, compute runs on a copy of the old values
// that carries self's history, and self takes the result's node as its own.
template <class Compute>
Tensor& in_place(const char* op, Tensor& self, bool operand_requires_grad, Compute compute) {
  check_leaf(op, self);
  detail::Storage& storage = *self.impl()->storage;
  if (GradMode::is_enabled() && (self.requires_grad() || operand_requires_grad)) {
    kernels::check_floating(op, self);
    auto old = detail::new_impl();
    {
      no_grad guard;
      old->storage = clone(self).impl()->storage;
    }
    old->grad_fn = self.impl()->grad_fn;
    old->requires_grad = self.requires_grad();
    const Tensor result = compute(Tensor(std::move(old)));
    write_values(self, result);
    detail::bump_version(storage, op);
    self.impl()->grad_fn = result.grad_fn();
    self.impl()->requires_grad = result.requires_grad();
    return self;
  }
  Tensor result;
  {
    no_grad guard;
    result = compute(self);
  }
  write_values(self, result);
  detail::bump_version(storage, op);
  return self;
}

}  // namespace

Tensor& add_(Tensor& self, const Tensor& other, double alpha) {
  check_leaf("add_", self);
  kernels::check_same_dtype("add_", self, other);
  check_into("add_", self, other);
  if (GradMode::is_enabled() && (self.requires_grad() || other.requires_grad())) {
    return in_place("add_", self, other.requires_grad(), [&](const Tensor& old) {
      return alpha == 1.0 ? add(old, other) : add(old, mul(other, alpha));
    });
  }
  detail::add_into(self, other, alpha);
  detail::bump_version(*self.impl()->storage, "add_");
  return self;
}

namespace detail {

void add_into(Tensor& self, const Tensor& other, double alpha) {
  // The fast path of gradient accumulation and optimizer updates: straight into self's buffer.
  const ShapeRef shape = self.sizes();
  const ShapeRef other_shape = other.sizes();
  dispatch_arithmetic("add_", self.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* dst = kernels::values<T>(self);
    const T* src = kernels::values<T>(other);
    const T scale = kernels::convert_value<T>("add_", alpha);
    if (shape == other_shape) {
      auto run = [n = self.numel(), alpha, scale](const T*, const T* src, T* dst) {
        kernels::for_each_range(n, [&](std::size_t begin, std::size_t end) {
          if (alpha == 1.0) {
            for (std::size_t i = begin; i < end; ++i) dst[i] += src[i];
          } else {
            for (std::size_t i = begin; i < end; ++i) dst[i] += scale * src[i];
          }
        });
      };
      run(dst, src, dst);
      kernels::record_kernel<T, T, T>("add_", self, other, self, run);
      return;
    }
    auto run = [scale, shape = Shape(shape.begin(), shape.end()),
                strides = kernels::contiguous_strides(shape),
                other_strides = kernels::broadcast_strides(other_shape, shape)](
                   const T*, const T* src, T* dst) {
      kernels::strided_loop(
          shape, strides, other_strides,
          [&](std::size_t, std::size_t i, std::size_t j) { dst[i] += scale * src[j]; });
    };
    run(dst, src, dst);
    kernels::record_kernel<T, T, T>("add_", self, other, self, run);
  });
}

}  // namespace detail

Tensor& sub_(Tensor& self, const Tensor& other, double alpha) {
  kernels::check_same_dtype("sub_", self, other);
  check_into("sub_", self, other);
  return in_place("sub_", self, other.requires_grad(), [&](const Tensor& old) {
    return alpha == 1.0 ? sub(old, other) : sub(old, mul(other, alpha));
  });
}

Tensor& mul_(Tensor& self, const Tensor& other) {
  kernels::check_same_dtype("mul_", self, other);
  check_into("mul_", self, other);
  return in_place("mul_", self, other.requires_grad(),
                  [&](const Tensor& old) { return mul(old, other); });
}

Tensor& div_(Tensor& self, const Tensor& other) {
  kernels::check_same_dtype("div_", self, other);
  check_into("div_", self, other);
  return in_place("div_", self, other.requires_grad(),
                  [&](const Tensor& old) { return div(old, other); });
}

Tensor& add_(Tensor& self, double s) {
  return in_place("add_", self, false, [&](const Tensor& old) { return add(old, s); });
}
Tensor& sub_(Tensor& self, double s) {
  return in_place("sub_", self, false, [&](const Tensor& old) { return add(old, -s); });
}
Tensor& mul_(Tensor& self, double s) {
  return in_place("mul_", self, false, [&](const Tensor& old) { return mul(old, s); });
}
Tensor& div_(Tensor& self, double s) {
  return in_place("div_", self, false, [&](const Tensor& old) { return old / s; });
}

namespace {

Tensor& fill_named(const char* op, Tensor& self, double value) {
  check_leaf(op, self);
  if (GradMode::is_enabled() && self.requires_grad()) {
    return in_place(op, self, false, [&](const Tensor& old) {
      Tensor filled = full(old.shape(), value, old.dtype());
      // The old values are overwritten: none of the gradient reaches them.
      return record(
          op, std::move(filled), {old}, [](const Tensor&) { return Gradients{Tensor()}; },
          Saves::nothing);
    });
  }
  dispatch_any(self.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* dst = kernels::values<T>(self);
    std::fill(dst, dst + self.numel(), kernels::convert_value<T>(op, value));
  });
  detail::bump_version(*self.impl()->storage, op);
  return self;
}

}  // namespace

Tensor& zero_(Tensor& self) {
  return fill_named("zero_", self, 0.0);
}

Tensor& fill_(Tensor& self, double value) {
  return fill_named("fill_", self, value);
}

Tensor& clamp_(Tensor& self, double min, double max) {
  return in_place("clamp_", self, false, [&](const Tensor& old) { return clamp(old, min, max); });
}

Tensor& copy_(Tensor& self, const Tensor& src) {
  check_into("copy_", self, src);
  return in_place("copy_", self, src.requires_grad(), [&](const Tensor& old) {
    Tensor converted = src.to(old.dtype());
    Tensor values =
        converted.sizes() == old.sizes() ? converted : broadcast_to(converted, old.shape());
    return record(
        "copy_", values.detach(), {old, converted},
        [shape = converted.sizes().inline_copy()](const Tensor& dy) {
          // the old values get nothing; src gets the gradient summed over its broadcast
          return Gradients{Tensor(), reduce_to_shape(dy, shape)};
        },
        Saves::nothing);
  });
}

Tensor& masked_fill_(Tensor& self, const Tensor& mask, double value) {
  return in_place("masked_fill_", self, false,
                  [&](const Tensor& old) { return masked_fill(old, mask, value); });
}

}  // namespace xgrad

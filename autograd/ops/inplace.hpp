// In-place ops, with PyTorch's rules: each bumps the tensor's version counter, so a backward that
// saved the old values refuses to run; a leaf that requires grad may be changed only under no_grad
// (how optimizers update parameters); any other tensor in a graph is changed and its history
// continues from the in-place op (y.mul_(2) then records 'mul_' as y's grad_fn).
#pragma once

#include <limits>

#include "autograd/tensor.hpp"

namespace xgrad {

/// self += alpha * other, `other` broadcast to self's shape (not the reverse), same dtype. Throws
/// std::invalid_argument for a dtype mismatch or a shape that does not broadcast into self's, and
/// std::runtime_error for a leaf that requires grad while grad mode is on.
Tensor& add_(Tensor& self, const Tensor& other, double alpha = 1.0);
Tensor& sub_(Tensor& self, const Tensor& other, double alpha = 1.0);
Tensor& mul_(Tensor& self, const Tensor& other);
Tensor& div_(Tensor& self, const Tensor& other);
Tensor& add_(Tensor& self, double s);
Tensor& sub_(Tensor& self, double s);
Tensor& mul_(Tensor& self, double s);
Tensor& div_(Tensor& self, double s);
/// Every element set to zero / to `value`.
Tensor& zero_(Tensor& self);
Tensor& fill_(Tensor& self, double value);
/// self limited to [min, max], as clamp.
Tensor& clamp_(Tensor& self, double min, double max = std::numeric_limits<double>::infinity());
/// self's values replaced by src's, broadcast to self's shape and converted to self's dtype; the
/// gradient flows back to src.
Tensor& copy_(Tensor& self, const Tensor& src);
/// `value` wherever the bool mask (broadcast to self's shape) is true.
Tensor& masked_fill_(Tensor& self, const Tensor& mask, double value);

namespace detail {
/// add_'s loop without its checks and without a version bump, for a buffer no one else can see
/// (the engine's gradient sums): self += alpha * other, other of the same dtype, broadcast into
/// self's shape.
void add_into(Tensor& self, const Tensor& other, double alpha = 1.0);
}  // namespace detail

}  // namespace xgrad

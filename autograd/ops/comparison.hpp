// Comparisons and logical ops (bool results), arg-reductions (int64 indices), and the selections
// that masks drive: where and masked_fill.
#pragma once

#include "autograd/tensor.hpp"

namespace xgrad {

/// Elementwise comparisons with NumPy broadcasting, for tensors of the same dtype (any dtype);
/// the result is a bool tensor and has no gradient. NaN compares unequal to everything, itself
/// included. Throws std::invalid_argument for a dtype mismatch or shapes that do not broadcast.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
/// Against a scalar, compared exactly whatever the tensor's dtype (an int64 beyond 2^53 too).
Tensor eq(const Tensor& x, double s);
Tensor ne(const Tensor& x, double s);
Tensor lt(const Tensor& x, double s);
Tensor le(const Tensor& x, double s);
Tensor gt(const Tensor& x, double s);
Tensor ge(const Tensor& x, double s);

Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& x, double s);
Tensor operator!=(const Tensor& x, double s);
Tensor operator<(const Tensor& x, double s);
Tensor operator<=(const Tensor& x, double s);
Tensor operator>(const Tensor& x, double s);
Tensor operator>=(const Tensor& x, double s);

/// Logical ops on bool tensors, broadcasting; other dtypes throw std::invalid_argument (compare
/// them first: logical_and(x > 0, y > 0)). The operators &, | and ~ are the same ops.
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);
Tensor operator&(const Tensor& a, const Tensor& b);
Tensor operator|(const Tensor& a, const Tensor& b);
Tensor operator~(const Tensor& x);

/// The int64 index of the largest (smallest) element of the flattened tensor, as a 0-D tensor;
/// the first one at ties, and the first NaN if there is one (as PyTorch). Throws
/// std::invalid_argument for an empty tensor.
Tensor argmax(const Tensor& x);
Tensor argmin(const Tensor& x);
/// Along one axis (negative counts from the end): int64 indices, the axis removed unless keepdim.
Tensor argmax(const Tensor& x, long axis, bool keepdim = false);
Tensor argmin(const Tensor& x, long axis, bool keepdim = false);

/// a where `condition` is true, else b, all three broadcast together (torch.where). condition is
/// bool; a and b share a floating-point or int64 dtype. Gradients flow to a where the condition
/// holds and to b elsewhere.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
/// x with `value` wherever the bool `mask` (broadcast to x's shape) is true; no gradient flows
/// through the filled entries. Throws std::invalid_argument for a mask that is not bool or does not
/// broadcast to x's shape.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);

}  // namespace xgrad

// Reductions over all or some axes (sum, mean, max) and their inverse, broadcasting.
#pragma once

#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// Sum over `axes` (all axes if empty; negative axes count from the end). keepdim keeps reduced
/// axes with extent 1. Throws std::out_of_range for an axis out of range.
Tensor sum(const Tensor& x, const std::vector<long>& axes = {}, bool keepdim = false);
/// Mean over `axes`. Throws std::invalid_argument when a reduced axis is empty.
Tensor mean(const Tensor& x, const std::vector<long>& axes = {}, bool keepdim = false);
/// Maximum over `axes`; ties share the gradient equally. Throws std::invalid_argument when a
/// reduced axis is empty.
Tensor max(const Tensor& x, const std::vector<long>& axes = {}, bool keepdim = false);
/// x repeated along broadcast axes to `shape`, as numpy.broadcast_to; any dtype (int64 and bool
/// results carry no graph). Throws std::invalid_argument if x does not broadcast to `shape`.
Tensor broadcast_to(const Tensor& x, const Shape& shape);
/// Sums a gradient of a broadcast result back to an input's `shape`: over leading axes and over
/// axes where `shape` has extent 1. Returns `grad` itself when the shapes already agree. Every
/// binary op's backward ends here (PyTorch's sum_to).
Tensor reduce_to_shape(const Tensor& grad, ShapeRef shape);
Tensor reduce_to_shape(const Tensor& grad, const Shape& shape);

}  // namespace xgrad

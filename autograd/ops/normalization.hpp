// Normalization ops: batch_norm, layer_norm and group_norm, with PyTorch's semantics. Each
// normalizes its input over a set of axes to zero mean and unit (biased) variance, then applies an
// optional per-feature affine map weight * x_hat + bias.
#pragma once

#include <cstddef>

#include "autograd/tensor.hpp"

namespace xgrad {

/// Batch normalization of `input` (N, C), (N, C, L) or (N, C, H, W) (any rank >= 2: axis 1 holds
/// the C channels), over the batch and every axis after the channels. `weight` and `bias` (C,) are
/// optional (undefined: no affine map). `running_mean` and `running_var` (C,) are either both
/// undefined or both defined.
///
/// training (or no running statistics): normalizes with the batch's mean and biased variance; if
/// running statistics are given, updates them in place, unrecorded: running = (1 - momentum) *
/// running + momentum * batch, with the UNBIASED batch variance for running_var. Otherwise
/// normalizes with the running statistics.
///
/// Throws std::invalid_argument for rank < 2, a weight, bias or running statistic that is not (C,)
/// or of another dtype, and, when normalizing with batch statistics, a batch of one value per
/// channel: "batch_norm: expected more than 1 value per channel when training, got input of shape
/// (1, 3)".
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                  bool training = false, double momentum = 0.1, double eps = 1e-5);

/// Layer normalization: every slice over the last normalized_shape.size() axes of `input`, which
/// must equal normalized_shape, is normalized on its own; `weight` and `bias` (optional) have
/// shape normalized_shape. Throws std::invalid_argument for an empty normalized_shape, trailing
/// extents that differ from it, or a weight or bias of another shape or dtype.
Tensor layer_norm(const Tensor& input, const Shape& normalized_shape,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                  double eps = 1e-5);

/// Group normalization of `input` (N, C, *): the C channels are split into num_groups groups of
/// consecutive channels, and each (sample, group) is normalized over its channels and every axis
/// after them; `weight` and `bias` (C,) are optional. Throws std::invalid_argument for rank < 2,
/// num_groups 0 or not dividing C, or a weight or bias that is not (C,) or of another dtype.
Tensor group_norm(const Tensor& input, std::size_t num_groups, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

}  // namespace xgrad

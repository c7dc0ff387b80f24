// Gradient clipping: clip_grad_norm_ rescales gradients in place so their joint norm is at most a
// bound, as torch.nn.utils.clip_grad_norm_.
#pragma once

#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad::optim {

/// Computes the 2-norm of all the given parameters' gradients together (as if concatenated into
/// one vector; parameters without a gradient are skipped) and, when it exceeds max_norm, scales
/// every gradient in place by max_norm / (norm + 1e-6) (PyTorch's rule: the scale is
/// min(1, max_norm / (norm + 1e-6))). Returns the norm before clipping (0 when
/// no parameter has a gradient). Throws std::invalid_argument for a max_norm that is negative or
/// NaN, and std::runtime_error, leaving the gradients unchanged, when the norm is infinite or NaN,
/// or when a parameter takes its optimizer's step inside backward (fuse_into_backward: no gradient
/// is stored to clip).
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm);

}  // namespace xgrad::optim

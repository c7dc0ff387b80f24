// Statistics over axes: min, logsumexp, var, std, norm, and the running sum cumsum. Axes are signed
// (negative counts from the end); an empty axis list means every axis.
#pragma once

#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// Minimum over `axes` (all if empty), as max; ties share the gradient equally. Throws
/// std::invalid_argument when a reduced axis is empty, std::out_of_range for a bad axis.
Tensor min(const Tensor& x, const std::vector<long>& axes = {}, bool keepdim = false);
/// log(sum(exp(x))) over `axes`, computed with the maximum subtracted first (no overflow); the
/// gradient is softmax(x) along those axes. Throws std::invalid_argument when a reduced axis is
/// empty.
Tensor logsumexp(const Tensor& x, const std::vector<long>& axes = {}, bool keepdim = false);
/// Variance over `axes`: the sum of squared deviations from the mean divided by N - 1 (unbiased,
/// as torch.var's default) or N. Throws std::invalid_argument when a reduced axis is empty.
Tensor var(const Tensor& x, const std::vector<long>& axes = {}, bool unbiased = true,
           bool keepdim = false);
/// sqrt(var(x, axes, unbiased, keepdim)). Call it as xgrad::std: after `using namespace xgrad`, a
/// bare std(...) is ambiguous with namespace std (torch::std has the same name).
Tensor std(const Tensor& x, const std::vector<long>& axes = {}, bool unbiased = true,
           bool keepdim = false);
/// The vector p-norm over `axes` for p = 1 (sum |x|), 2 (sqrt of the sum of squares) or infinity
/// (max |x|), as torch.linalg.vector_norm. The 2-norm's gradient at 0 is 0. Throws
/// std::invalid_argument "norm: p must be 1, 2 or inf, got 3".
Tensor norm(const Tensor& x, double p = 2.0, const std::vector<long>& axes = {},
            bool keepdim = false);
/// Running sum along `axis`: out[..., i, ...] = x[..., 0, ...] + ... + x[..., i, ...]. Throws
/// std::out_of_range for a bad axis.
Tensor cumsum(const Tensor& x, long axis);

}  // namespace xgrad

// linear_steps: the input projections of a sequence in one gemm, recorded as one node per step
// whose backward is the step's own linear gradient, written in differentiable ops.
#include "autograd/ops/recurrent_cell.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/matmul.hpp"
#include "autograd/ops/reduction.hpp"
#include "autograd/ops/shape_ops.hpp"

namespace xgrad {

std::vector<Tensor> linear_steps(const std::vector<Tensor>& xs, const Tensor& weight,
                                 const Tensor& bias_a, const Tensor& bias_b) {
  if (xs.empty()) throw std::invalid_argument("linear_steps: no steps given");
  kernels::check_defined("linear_steps", weight);
  const Shape first = xs[0].defined() ? xs[0].shape() : Shape{};
  if (first.size() != 2 || weight.dim() != 2 || first[1] != weight.size(1)) {
    throw std::invalid_argument("linear_steps: step 0 is " + format_shape(first) + ", weight is " +
                                format_shape(weight.shape()) + "; expected (N, in) and (out, in)");
  }
  for (std::size_t t = 0; t < xs.size(); ++t) {
    kernels::check_defined("linear_steps", xs[t]);
    kernels::check_same_dtype("linear_steps", xs[t], weight);
    if (!xs[t].has_shape(first)) {
      throw std::invalid_argument("linear_steps: step " + std::to_string(t) + " is " +
                                  format_shape(xs[t].shape()) + ", step 0 is " +
                                  format_shape(first));
    }
  }
  const std::size_t n = first[0], out = weight.size(0), length = xs.size();
  // y[L N, out] = x[L N, in] @ W^T + (b_a + b_b): one gemm for the whole sequence
  Tensor all;
  {
    no_grad guard;
    Tensor bias;
    if (bias_a.defined()) bias = bias_a;
    if (bias_b.defined()) bias = bias.defined() ? add(bias, bias_b) : bias_b;
    all = linear(concat(xs, 0), weight, bias);
  }
  std::vector<Tensor> ys;
  ys.reserve(length);
  dispatch(weight.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = kernels::values<T>(all);
    for (std::size_t t = 0; t < length; ++t) {
      Tensor y = kernels::empty<T>(Shape{n, out});
      std::copy(src + t * n * out, src + (t + 1) * n * out, kernels::values<T>(y));
      const Tensor x = xs[t];
      ys.push_back(detail::record_optional(
          "linear_steps", y, {x, weight, bias_a, bias_b},
          [x, weight, need_x = x.requires_grad(), need_w = weight.requires_grad(),
           need_a = bias_a.defined() && bias_a.requires_grad(),
           need_b = bias_b.defined() && bias_b.requires_grad()](const Tensor& dy) {
            // dx[N, in] = dy[N, out] @ W[out, in]; dW[out, in] = dy^T[out, N] @ x[N, in];
            // each bias: dy summed over the rows
            Tensor dx = need_x ? matmul(dy, weight, false, false) : Tensor();
            Tensor dw = need_w ? matmul(dy, x, true, false) : Tensor();
            Tensor db = need_a || need_b ? sum(dy, std::vector<long>{0}) : Tensor();
            return Gradients{dx, dw, need_a ? db : Tensor(), need_b ? db : Tensor()};
          }));
    }
  });
  return ys;
}

}  // namespace xgrad

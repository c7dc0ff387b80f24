// Statistics over axes (min, logsumexp, var, std, norm) and cumsum. min, logsumexp, var, the
// 2-norm and cumsum compute their values in raw loops over the input, with no intermediate tensor;
// std and the 1- and inf-norms are compositions (sqrt of var, sum or max of abs). Every backward
// is written in tensor ops, so create_graph can differentiate it again.
#include "autograd/ops/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "autograd/node.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/reduction.hpp"
#include "autograd/ops/shape_ops.hpp"

namespace xgrad {

namespace {

// The shapes of a reduction: `kept` has extent 1 on reduced axes, `out` drops them unless keepdim.
struct Reduced {
  Shape input, kept, out;
  std::vector<long> axes;  // the reduced axes, resolved and sorted
  std::size_t count = 1;   // elements folded into each output element
};

Reduced reduced_shapes(const char* op, const Tensor& x, const std::vector<long>& axes, bool keepdim,
                       bool need_elements) {
  kernels::check_defined(op, x);
  Reduced s;
  s.input = x.shape();
  s.kept = s.input;
  for (std::size_t axis : normalize_axes(op, axes, s.input)) {
    s.count *= s.input[axis];
    s.kept[axis] = 1;
    s.axes.push_back(static_cast<long>(axis));
  }
  for (std::size_t d = 0; d < s.input.size(); ++d) {
    const bool reduced =
        std::find(s.axes.begin(), s.axes.end(), static_cast<long>(d)) != s.axes.end();
    if (keepdim || !reduced) s.out.push_back(reduced ? 1 : s.input[d]);
  }
  if (need_elements && s.count == 0 && shape_numel(s.kept) > 0) {
    throw std::invalid_argument(std::string(op) + ": no elements to reduce in a tensor of shape " +
                                format_shape(s.input));
  }
  return s;
}

// Calls f(i, j) for every input element i and the output element j it folds into, in row-major
// order of the input.
template <class F>
void for_each_folded(const Reduced& s, F f) {
  kernels::strided_loop(s.input, kernels::contiguous_strides(s.input),
                        kernels::broadcast_strides(s.kept, s.input),
                        [&](std::size_t, std::size_t i, std::size_t j) { f(i, j); });
}

// A gradient of the reduced shape, viewed with its reduced axes kept (extent 1), so that it
// broadcasts against the input.
Tensor kept(const Tensor& dy, const Reduced& s) {
  return reshape(dy, s.kept);
}

}  // namespace

Tensor min(const Tensor& x, const std::vector<long>& axes, bool keepdim) {
  const Reduced s = reduced_shapes("min", x, axes, keepdim, true);
  Tensor y = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(s.out);
    T* acc = kernels::values<T>(out);
    std::fill(acc, acc + out.numel(), std::numeric_limits<T>::infinity());
    const T* in = kernels::values<T>(x);
    for_each_folded(s, [&](std::size_t i, std::size_t j) {
      if (in[i] < acc[j] || std::isnan(in[i])) acc[j] = in[i];
    });
    return out;
  });
  return record("min", std::move(y), {x}, [x, s](const Tensor& dy, const Tensor& out) {
    // The gradient goes to the minimal entries, split evenly between ties: a constant weight.
    Tensor is_bottom =
        kernels::binary("min", x.detach(), kept(out.detach(), s),
                        [](auto v, auto m) { return v == m ? decltype(v)(1) : decltype(v)(0); });
    Tensor weight = div(is_bottom, sum(is_bottom, s.axes, true));
    return Gradients{mul(kept(dy, s), weight)};
  });
}

Tensor logsumexp(const Tensor& x, const std::vector<long>& axes, bool keepdim) {
  const Reduced s = reduced_shapes("logsumexp", x, axes, keepdim, true);
  Tensor y = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(s.out);
    T* acc = kernels::values<T>(out);
    const std::size_t n_out = out.numel();
    std::vector<T> top(n_out, -std::numeric_limits<T>::infinity());
    const T* in = kernels::values<T>(x);
    for_each_folded(s, [&](std::size_t i, std::size_t j) { top[j] = std::max(top[j], in[i]); });
    // Shift by the maximum so no exp overflows; an infinite maximum is not subtracted (it would
    // give inf - inf), as torch does.
    for (T& m : top) m = std::isfinite(m) ? m : T(0);
    std::fill(acc, acc + n_out, T(0));
    for_each_folded(s, [&](std::size_t i, std::size_t j) { acc[j] += std::exp(in[i] - top[j]); });
    for (std::size_t j = 0; j < n_out; ++j) acc[j] = std::log(acc[j]) + top[j];
    return out;
  });
  return record("logsumexp", std::move(y), {x}, [x, s](const Tensor& dy, const Tensor& out) {
    // d logsumexp / dx_i = exp(x_i - logsumexp(x)): the softmax
    return Gradients{mul(kept(dy, s), exp(sub(x, kept(out, s))))};
  });
}

Tensor var(const Tensor& x, const std::vector<long>& axes, bool unbiased, bool keepdim) {
  const Reduced s = reduced_shapes("var", x, axes, keepdim, true);
  // N - 1 for the unbiased estimate; 0 (one element) gives NaN, as in torch.
  const double divisor = static_cast<double>(s.count) - (unbiased ? 1.0 : 0.0);
  Tensor y = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(s.out);
    T* acc = kernels::values<T>(out);
    const std::size_t n_out = out.numel();
    std::vector<double> mean(n_out, 0.0), squares(n_out, 0.0);
    const T* in = kernels::values<T>(x);
    for_each_folded(s, [&](std::size_t i, std::size_t j) { mean[j] += in[i]; });
    for (double& m : mean) m /= static_cast<double>(s.count);
    for_each_folded(s, [&](std::size_t i, std::size_t j) {
      const double d = in[i] - mean[j];
      squares[j] += d * d;
    });
    for (std::size_t j = 0; j < n_out; ++j) acc[j] = static_cast<T>(squares[j] / divisor);
    return out;
  });
  return record("var", std::move(y), {x}, [x, s, divisor](const Tensor& dy) {
    // d var / dx_i = 2 (x_i - mean(x)) / divisor; the mean's own derivative sums to zero, but it
    // stays in the formula so that the second derivative sees it.
    Tensor centered = sub(x, mean(x, s.axes, true));
    return Gradients{mul(mul(kept(dy, s), centered), 2.0 / divisor)};
  });
}

Tensor std(const Tensor& x, const std::vector<long>& axes, bool unbiased, bool keepdim) {
  kernels::check_defined("std", x);
  return sqrt(var(x, axes, unbiased, keepdim));
}

Tensor norm(const Tensor& x, double p, const std::vector<long>& axes, bool keepdim) {
  kernels::check_defined("norm", x);
  if (p == 1.0) return sum(abs(x), axes, keepdim);
  if (p == std::numeric_limits<double>::infinity()) {
    if (x.numel() == 0) return sum(abs(x), axes, keepdim);  // torch: the inf-norm of nothing is 0
    return max(abs(x), axes, keepdim);
  }
  if (p != 2.0) {
    throw std::invalid_argument("norm: p must be 1, 2 or inf, got " + format_number(p));
  }
  const Reduced s = reduced_shapes("norm", x, axes, keepdim, false);
  Tensor y = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(s.out);
    T* acc = kernels::values<T>(out);
    std::fill(acc, acc + out.numel(), T(0));
    const T* in = kernels::values<T>(x);
    for_each_folded(s, [&](std::size_t i, std::size_t j) { acc[j] += in[i] * in[i]; });
    for (std::size_t j = 0, n = out.numel(); j < n; ++j) acc[j] = std::sqrt(acc[j]);
    return out;
  });
  return record("norm", std::move(y), {x}, [x, s](const Tensor& dy, const Tensor& out) {
    // d ||x|| / dx_i = x_i / ||x||; where the norm is 0, x is 0 there and so is the gradient
    // (the divisor is made 1 by a constant mask, as torch's subgradient).
    Tensor zero =
        kernels::unary(out, [](auto v) { return v == 0 ? decltype(v)(1) : decltype(v)(0); });
    return Gradients{mul(x, div(kept(dy, s), kept(add(out, zero), s)))};
  });
}

namespace {

// Running sum along `axis` from the first entry (or, reversed, from the last): cumsum, and its
// adjoint, the reversed running sum of the gradient.
Tensor running_sum(const Tensor& x, std::size_t axis, bool reverse) {
  const Shape shape = x.shape();
  std::size_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < axis; ++d) outer *= shape[d];
  for (std::size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  const std::size_t extent = shape[axis];
  Tensor y = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(shape);
    T* dst = kernels::values<T>(out);
    const T* in = kernels::values<T>(x);
    for (std::size_t o = 0; o < outer; ++o) {
      const std::size_t base = o * extent * inner;
      for (std::size_t step = 0; step < extent; ++step) {
        const std::size_t i = reverse ? extent - 1 - step : step;
        const T* src = in + base + i * inner;
        T* row = dst + base + i * inner;
        if (step == 0) {
          std::copy(src, src + inner, row);
        } else {
          const T* previous = reverse ? row + inner : row - inner;
          for (std::size_t j = 0; j < inner; ++j) row[j] = previous[j] + src[j];
        }
      }
    }
    return out;
  });
  return record("cumsum", std::move(y), {x}, [axis, reverse](const Tensor& dy) {
    // d out_j / dx_i = 1 for i <= j: the gradient is the running sum taken the other way
    return Gradients{running_sum(dy, axis, !reverse)};
  });
}

}  // namespace

Tensor cumsum(const Tensor& x, long axis) {
  kernels::check_defined("cumsum", x);
  if (x.dim() == 0) {
    normalize_axis("cumsum", axis, Shape{1});  // a scalar takes axis 0 or -1, as in torch
    return clone(x);
  }
  return running_sum(x, normalize_axis("cumsum", axis, x.sizes()), false);
}

}  // namespace xgrad

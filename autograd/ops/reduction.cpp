// Reductions (sum, mean, max) and broadcast_to, each the other's backward; reduce_to_shape, where
// every broadcasting op's backward ends.
#include "autograd/ops/reduction.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/shape_ops.hpp"

namespace xgrad {

namespace {

// The shapes of a reduction: `kept` has extent 1 on reduced axes, `out` drops them unless keepdim.
struct ReducedShapes {
  Shape input, kept, out;
  std::vector<long> reduced;  // the reduced axes, resolved and sorted
  std::size_t count = 1;      // elements folded into each output element
};

ReducedShapes reduced_shapes(const char* op, const Tensor& x, const std::vector<long>& axes,
                             bool keepdim) {
  kernels::check_defined(op, x);
  ReducedShapes s;
  s.input = x.shape();
  s.kept = s.input;
  for (std::size_t axis : normalize_axes(op, axes, s.input)) {
    s.count *= s.input[axis];
    s.kept[axis] = 1;
    s.reduced.push_back(static_cast<long>(axis));
  }
  for (std::size_t d = 0; d < s.input.size(); ++d) {
    const bool is_reduced =
        std::find(s.reduced.begin(), s.reduced.end(), static_cast<long>(d)) != s.reduced.end();
    if (keepdim || !is_reduced) s.out.push_back(is_reduced ? 1 : s.input[d]);
  }
  return s;
}

// The sum of n values, accumulated in double over eight independent lanes: accurate for float32,
// and free of the one-add-at-a-time dependency chain, so the compiler vectorises it.
template <class T>
double total(const T* in, std::size_t n) {
  double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (std::size_t k = 0; k < 8; ++k) lanes[k] += static_cast<double>(in[i + k]);
  }
  for (; i < n; ++i) lanes[i % 8] += static_cast<double>(in[i]);
  double sum = 0;
  for (double lane : lanes) sum += lane;
  return sum;
}

// out[j] = fold of x over the reduced axes, starting from `init`.
template <class Fold>
Tensor reduce_values(const Tensor& x, const ReducedShapes& s, double init, Fold fold) {
  return dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto out = xt::xarray<T>::from_shape(s.out);
    out.fill(static_cast<T>(init));
    const T* in = x.data<T>().data();
    T* acc = out.data();
    if (out.size() == 1) {
      for (std::size_t i = 0, n = x.numel(); i < n; ++i) fold(acc[0], in[i]);
    } else {
      kernels::strided_loop(
          s.input, kernels::contiguous_strides(s.input),
          kernels::broadcast_strides(s.kept, s.input),
          [&](std::size_t, std::size_t i, std::size_t j) { fold(acc[j], in[i]); });
    }
    return Tensor(std::move(out));
  });
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<long>& axes, bool keepdim) {
  const ReducedShapes s = reduced_shapes("sum", x, axes, keepdim);
  Tensor y;
  if (s.out.empty()) {
    y = dispatch(x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      return Tensor(xt::xarray<T>(static_cast<T>(total(x.data<T>().data(), x.numel()))));
    });
  } else {
    y = reduce_values(x, s, 0.0, [](auto& acc, auto v) { acc += v; });
  }
  return record("sum", y, {x}, [input = s.input, kept = s.kept](const Tensor& dy) {
    return Gradients{broadcast_to(reshape(dy, kept), input)};  // d(sum)/dx_i = 1
  });
}

Tensor mean(const Tensor& x, const std::vector<long>& axes, bool keepdim) {
  const ReducedShapes s = reduced_shapes("mean", x, axes, keepdim);
  if (s.count == 0) {
    throw std::invalid_argument("mean: no elements to average in a tensor of shape " +
                                format_shape(s.input));
  }
  Tensor y;
  {
    no_grad guard;
    y = sum(x, axes, keepdim) / static_cast<double>(s.count);
  }
  return record(
      "mean", y, {x}, [input = s.input, kept = s.kept, count = s.count](const Tensor& dy) {
        // d(mean)/dx_i = 1 / count
        return Gradients{broadcast_to(reshape(dy, kept), input) / static_cast<double>(count)};
      });
}

Tensor max(const Tensor& x, const std::vector<long>& axes, bool keepdim) {
  const ReducedShapes s = reduced_shapes("max", x, axes, keepdim);
  if (s.count == 0) {
    throw std::invalid_argument("max: no elements to compare in a tensor of shape " +
                                format_shape(s.input));
  }
  Tensor y = reduce_values(x, s, -std::numeric_limits<double>::infinity(), [](auto& acc, auto v) {
    if (v > acc || std::isnan(v)) acc = v;
  });
  return record("max", y, {x}, [x, s](const Tensor& dy, const Tensor& out) {
    // The gradient goes to the maximal entries, split evenly between ties: a constant weight.
    Tensor top = reshape(out.detach(), s.kept);
    Tensor is_top = kernels::binary("max", x.detach(), top, [](auto v, auto m) {
      return v == m ? decltype(v)(1) : decltype(v)(0);
    });
    Tensor weight = div(is_top, sum(is_top, s.reduced, true));
    return Gradients{mul(broadcast_to(reshape(dy, s.kept), s.input), weight)};
  });
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  kernels::check_defined("broadcast_to", x);
  const Shape from = x.shape();
  if (from == shape) return x;
  if (from.size() > shape.size() || broadcast_shapes("broadcast_to", from, shape) != shape) {
    throw std::invalid_argument("broadcast_to: cannot broadcast " + format_shape(from) + " to " +
                                format_shape(shape));
  }
  Tensor y = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto out = xt::xarray<T>::from_shape(shape);
    const T* in = x.data<T>().data();
    T* dst = out.data();
    kernels::strided_loop(shape, kernels::contiguous_strides(shape),
                          kernels::broadcast_strides(from, shape),
                          [&](std::size_t o, std::size_t, std::size_t i) { dst[o] = in[i]; });
    return Tensor(std::move(out));
  });
  return record("broadcast_to", y, {x},
                [from](const Tensor& dy) { return Gradients{reduce_to_shape(dy, from)}; });
}

Tensor reduce_to_shape(const Tensor& grad, const Shape& shape) {
  // As every op does: without it, an undefined grad fails in Tensor::shape() with a runtime_error
  // that does not name the op.
  kernels::check_defined("reduce_to_shape", grad);
  const Shape from = grad.shape();
  if (from == shape) return grad;
  if (shape.size() > from.size()) {
    throw std::invalid_argument("reduce_to_shape: cannot reduce " + format_shape(from) + " to " +
                                format_shape(shape));
  }
  const std::size_t lead = from.size() - shape.size();
  std::vector<long> axes;
  for (std::size_t d = 0; d < from.size(); ++d) {
    if (d < lead || (shape[d - lead] == 1 && from[d] != 1)) {
      axes.push_back(static_cast<long>(d));
    } else if (shape[d - lead] != from[d]) {
      throw std::invalid_argument("reduce_to_shape: cannot reduce " + format_shape(from) + " to " +
                                  format_shape(shape));
    }
  }
  if (axes.empty()) return reshape(grad, shape);
  return reshape(sum(grad, axes, true), shape);
}

}  // namespace xgrad

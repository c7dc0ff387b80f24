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

// True when the reduced axes are the leading ones: the input is rows of the output's extent.
bool reduces_leading_axes(const ReducedShapes& s) {
  for (std::size_t d = 0; d < s.reduced.size(); ++d) {
    if (s.reduced[d] != static_cast<long>(d)) return false;
  }
  return true;
}

// acc[j] = fold of in over the reduced axes, starting from `init`: in has s.input's elements, acc
// s.out's.
template <class T, class Fold>
void reduce_into(const ReducedShapes& s, double init, Fold fold, const T* in, std::size_t n_in,
                 T* acc, std::size_t n_out) {
  std::fill(acc, acc + n_out, static_cast<T>(init));
  if (n_out == 1) {
    for (std::size_t i = 0; i < n_in; ++i) fold(acc[0], in[i]);
  } else if (n_out > 0 && reduces_leading_axes(s)) {
    // Rows of n_out values folded into one row, in order: a vectorisable loop (a bias gradient).
    // A narrow row is folded in a local copy, which the compiler keeps in registers: folded in
    // place, every row would store acc and load it back (acc might alias in), a chain of
    // store-to-load latencies (the bias gradients of a 10,000-row batch: 11% of seed_mlp).
    constexpr std::size_t kLocal = 32;
    const std::size_t rows = n_in / n_out;
    if (n_out <= kLocal) {
      T local[kLocal];
      std::copy(acc, acc + n_out, local);
      for (std::size_t row = 0; row < rows; ++row) {
        const T* src = in + row * n_out;
        for (std::size_t j = 0; j < n_out; ++j) fold(local[j], src[j]);
      }
      std::copy(local, local + n_out, acc);
    } else {
      for (std::size_t row = 0; row < rows; ++row) {
        const T* src = in + row * n_out;
        for (std::size_t j = 0; j < n_out; ++j) fold(acc[j], src[j]);
      }
    }
  } else {
    kernels::strided_loop(s.input, kernels::contiguous_strides(s.input),
                          kernels::broadcast_strides(s.kept, s.input),
                          [&](std::size_t, std::size_t i, std::size_t j) { fold(acc[j], in[i]); });
  }
}

// out[j] = fold of x over the reduced axes, starting from `init`.
template <class Fold>
Tensor reduce_values(const Tensor& x, const ReducedShapes& s, double init, Fold fold) {
  return dispatch_arithmetic("reduce", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor y = kernels::empty<T>(s.out);
    const std::size_t n_in = x.numel(), n_out = y.numel();
    reduce_into(s, init, fold, kernels::values<T>(x), n_in, kernels::values<T>(y), n_out);
    if (detail::active_tape) {
      kernels::record_kernel<T, T>("reduce", x, y,
                                   [s, init, fold, n_in, n_out](const T* in, T* acc) {
                                     reduce_into(s, init, fold, in, n_in, acc, n_out);
                                   });
    }
    return y;
  });
}

// Values of `dy` (holding the reduced result, any shape with the elements of `kept`) repeated
// along the reduced axes to `input`, each passed through f: a reduction's gradient, computed in
// one pass when no graph is recorded. kAnyDtype: int64 and bool too (broadcast_to), not only the
// floating-point types.
template <bool kAnyDtype = false, class F>
Tensor expand_values(const Tensor& dy, const Shape& kept, const Shape& input, F f) {
  auto per_type = [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(input);
    auto run = [f, n = out.numel(), one = dy.numel() == 1](const Shape& kept, const Shape& input,
                                                           const T* src, T* dst) {
      if (one) {
        std::fill(dst, dst + n, f(src[0]));
      } else {
        kernels::strided_loop(
            input, kernels::contiguous_strides(input), kernels::broadcast_strides(kept, input),
            [&](std::size_t o, std::size_t, std::size_t i) { dst[o] = f(src[i]); });
      }
    };
    run(kept, input, kernels::values<T>(dy), kernels::values<T>(out));
    if (detail::active_tape) {  // the recorded kernel keeps its own copies of the shapes
      kernels::record_kernel<T, T>("expand", dy, out, [run, kept, input](const T* src, T* dst) {
        run(kept, input, src, dst);
      });
    }
    return out;
  };
  if constexpr (kAnyDtype) {
    return dispatch_any(dy.dtype(), per_type);
  } else {
    return dispatch(dy.dtype(), per_type);
  }
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<long>& axes, bool keepdim) {
  if (x.defined() && !is_floating_point(x.dtype())) {
    // int64 and bool (a count of trues) sum to int64, as in PyTorch; nothing to differentiate.
    const Tensor values = x.to(int64);
    return reduce_values(values, reduced_shapes("sum", values, axes, keepdim), 0.0,
                         [](auto& acc, auto v) { acc += v; });
  }
  const ReducedShapes s = reduced_shapes("sum", x, axes, keepdim);
  Tensor y;
  if (shape_numel(s.out) == 1) {  // everything into one value (a full sum, or a bias of one)
    y = dispatch(x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      Tensor out = kernels::empty<T>(s.out);
      auto run = [n = x.numel()](const T* in, T* total) {
        *total = static_cast<T>(kernels::sum_lanes(n, [in](std::size_t i) { return in[i]; }));
      };
      run(kernels::values<T>(x), kernels::values<T>(out));
      kernels::record_kernel<T, T>("sum", x, out, run);
      return out;
    });
  } else {
    y = reduce_values(x, s, 0.0, [](auto& acc, auto v) { acc += v; });
  }
  return record(
      "sum", std::move(y), {x},
      [input = s.input, kept = s.kept](const Tensor& dy) {
        if (!GradMode::is_enabled())
          return Gradients{expand_values(dy, kept, input, [](auto v) { return v; })};
        return Gradients{broadcast_to(reshape(dy, kept), input)};  // d(sum)/dx_i = 1
      },
      Saves::nothing);
}

Tensor mean(const Tensor& x, const std::vector<long>& axes, bool keepdim) {
  kernels::check_floating("mean", x);
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
      "mean", std::move(y), {x},
      [input = s.input, kept = s.kept, count = s.count](const Tensor& dy) {
        // d(mean)/dx_i = 1 / count
        const double c = static_cast<double>(count);
        if (!GradMode::is_enabled()) {
          return Gradients{expand_values(dy, kept, input,
                                         [c](auto v) { return v / static_cast<decltype(v)>(c); })};
        }
        return Gradients{broadcast_to(reshape(dy, kept), input) / c};
      },
      Saves::nothing);
}

Tensor max(const Tensor& x, const std::vector<long>& axes, bool keepdim) {
  kernels::check_floating("max", x);
  const ReducedShapes s = reduced_shapes("max", x, axes, keepdim);
  if (s.count == 0) {
    throw std::invalid_argument("max: no elements to compare in a tensor of shape " +
                                format_shape(s.input));
  }
  Tensor y = reduce_values(x, s, -std::numeric_limits<double>::infinity(), [](auto& acc, auto v) {
    if (v > acc || std::isnan(v)) acc = v;
  });
  return record("max", std::move(y), {x}, [x, s](const Tensor& dy, const Tensor& out) {
    // The gradient goes to the maximal entries, split evenly between ties: a constant weight. A
    // NaN maximum is the NaN entries' (as PyTorch's max()), not 0 / 0 everywhere.
    Tensor top = reshape(out.detach(), s.kept);
    Tensor is_top = kernels::binary("max", x.detach(), top, [](auto v, auto m) {
      return v == m || (v != v && m != m) ? decltype(v)(1) : decltype(v)(0);
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
  Tensor y = expand_values<true>(x, from, shape, [](auto v) { return v; });
  if (!is_floating_point(x.dtype())) return y;  // int64 and bool: nothing to differentiate
  return record(
      "broadcast_to", std::move(y), {x},
      [from](const Tensor& dy) { return Gradients{reduce_to_shape(dy, from)}; }, Saves::nothing);
}

Tensor reduce_to_shape(const Tensor& grad, const Shape& shape) {
  return reduce_to_shape(grad, ShapeRef(shape));
}

Tensor reduce_to_shape(const Tensor& grad, ShapeRef shape) {
  // As every op does: without it, an undefined grad fails in Tensor::sizes() with a runtime_error
  // that does not name the op.
  kernels::check_defined("reduce_to_shape", grad);
  const ShapeRef from = grad.sizes();
  if (from == shape) return grad;
  if (shape.size() > from.size()) {
    throw std::invalid_argument("reduce_to_shape: cannot reduce " + format_shape(from) + " to " +
                                format_shape(shape));
  }
  const std::size_t lead = from.size() - shape.size();
  std::vector<long> axes;
  bool only_leading = true;  // then the sum without keepdim already has `shape`
  for (std::size_t d = 0; d < from.size(); ++d) {
    if (d < lead || (shape[d - lead] == 1 && from[d] != 1)) {
      axes.push_back(static_cast<long>(d));
      only_leading = only_leading && d < lead;
    } else if (shape[d - lead] != from[d]) {
      throw std::invalid_argument("reduce_to_shape: cannot reduce " + format_shape(from) + " to " +
                                  format_shape(shape));
    }
  }
  if (axes.empty()) return reshape(grad, shape.vec());
  if (only_leading) return sum(grad, axes, false);
  return reshape(sum(grad, axes, true), shape.vec());
}

}  // namespace xgrad

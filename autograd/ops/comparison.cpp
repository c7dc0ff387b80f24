// Comparisons, logical ops, argmax/argmin, where and masked_fill. Only where and masked_fill are
// differentiable (in their value inputs); the rest return bool or int64 tensors.
#include "autograd/ops/comparison.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/node.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/reduction.hpp"

namespace xgrad {

namespace {

// out[i] = f(a[i], b[i]) with NumPy broadcasting, for inputs of element type T (any dtype) and a
// result of element type Out.
template <class Out, class T, class F>
Tensor map2(const char* op, const Tensor& a, const Tensor& b, F f) {
  const ShapeRef sa = a.sizes();
  const ShapeRef sb = b.sizes();
  const T* pa = kernels::values<T>(a);
  const T* pb = kernels::values<T>(b);
  if (sa == sb) {
    Tensor out = kernels::empty<Out>(sa);
    Out* po = kernels::values<Out>(out);
    for (std::size_t i = 0, n = a.numel(); i < n; ++i) po[i] = f(pa[i], pb[i]);
    return out;
  }
  const Shape shape = broadcast_shapes(op, sa.vec(), sb.vec());
  Tensor out = kernels::empty<Out>(shape);
  Out* po = kernels::values<Out>(out);
  kernels::strided_loop(
      shape, kernels::broadcast_strides(sa, shape), kernels::broadcast_strides(sb, shape),
      [&](std::size_t o, std::size_t i, std::size_t j) { po[o] = f(pa[i], pb[j]); });
  return out;
}

template <class Pred>
Tensor compare(const char* op, const Tensor& a, const Tensor& b, Pred pred) {
  kernels::check_same_dtype(op, a, b);
  return dispatch_any(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return map2<bool, T>(op, a, b, [&](T u, T v) { return pred(u, v); });
  });
}

// Compared in long double, whose 64-bit significand holds every int64 and every double exactly.
template <class Pred>
Tensor compare(const char* op, const Tensor& x, double s, Pred pred) {
  kernels::check_defined(op, x);
  return dispatch_any(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = kernels::values<T>(x);
    Tensor out = kernels::empty<bool>(x.sizes());
    bool* po = kernels::values<bool>(out);
    const long double bound = s;
    for (std::size_t i = 0, n = x.numel(); i < n; ++i) {
      po[i] = pred(static_cast<long double>(in[i]), bound);
    }
    return out;
  });
}

void check_bool(const char* op, const Tensor& t, const char* what) {
  kernels::check_defined(op, t);
  if (t.dtype() != boolean) {
    throw std::invalid_argument(std::string(op) + ": " + what + " must be bool, got " +
                                dtype_name(t.dtype()) + " (compare it first, e.g. x > 0)");
  }
}

template <class F>
Tensor logical(const char* op, const Tensor& a, const Tensor& b, F f) {
  check_bool(op, a, "a");
  check_bool(op, b, "b");
  return map2<bool, bool>(op, a, b, f);
}

// The index of the extreme element of n values at stride `stride` from `first`: the first one at
// ties, and the first NaN if any (NaN wins, as in PyTorch).
template <class T, class Better>
std::int64_t extreme_index(const T* first, std::size_t n, std::size_t stride, Better better) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < n; ++i) {
    const T v = first[i * stride];
    const T b = first[best * stride];
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(b)) break;
      if (std::isnan(v)) {
        best = i;
        break;
      }
    }
    if (better(v, b)) best = i;
  }
  return static_cast<std::int64_t>(best);
}

template <class Better>
Tensor arg_extreme(const char* op, const Tensor& x, Better better) {
  kernels::check_defined(op, x);
  if (x.numel() == 0) {
    throw std::invalid_argument(std::string(op) + ": tensor of shape " + format_shape(x.shape()) +
                                " is empty");
  }
  return dispatch_any(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return Tensor(TensorValues<std::int64_t>(extreme_index(
        kernels::values<T>(x), x.numel(), 1, [&](T u, T v) { return better(u, v); })));
  });
}

template <class Better>
Tensor arg_extreme(const char* op, const Tensor& x, long axis, bool keepdim, Better better) {
  kernels::check_defined(op, x);
  const Shape shape = x.shape();
  const std::size_t a = normalize_axis(op, axis, shape);
  if (shape[a] == 0) {
    throw std::invalid_argument(std::string(op) + ": axis " + std::to_string(axis) + " of shape " +
                                format_shape(shape) + " is empty");
  }
  std::size_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < a; ++d) outer *= shape[d];
  for (std::size_t d = a + 1; d < shape.size(); ++d) inner *= shape[d];
  Shape out_shape = shape;
  if (keepdim) {
    out_shape[a] = 1;
  } else {
    out_shape.erase(out_shape.begin() + static_cast<long>(a));
  }
  return dispatch_any(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<std::int64_t>(out_shape);
    std::int64_t* po = kernels::values<std::int64_t>(out);
    const T* in = kernels::values<T>(x);
    for (std::size_t o = 0; o < outer; ++o) {
      for (std::size_t i = 0; i < inner; ++i) {
        po[o * inner + i] = extreme_index(in + o * shape[a] * inner + i, shape[a], inner,
                                          [&](T u, T v) { return better(u, v); });
      }
    }
    return out;
  });
}

// x's values, or `value`, where the bool mask (broadcast to x's shape) is true.
Tensor fill_where(const Tensor& x, const Tensor& mask, double value) {
  return dispatch_arithmetic("masked_fill", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T fill = kernels::convert_value<T>("masked_fill", value);
    return map2<T, T>("masked_fill", x, mask.to(x.dtype()),
                      [fill](T v, T m) { return m != T(0) ? fill : v; });
  });
}

}  // namespace

Tensor eq(const Tensor& a, const Tensor& b) {
  return compare("eq", a, b, [](auto u, auto v) { return u == v; });
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return compare("ne", a, b, [](auto u, auto v) { return u != v; });
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return compare("lt", a, b, [](auto u, auto v) { return u < v; });
}
Tensor le(const Tensor& a, const Tensor& b) {
  return compare("le", a, b, [](auto u, auto v) { return u <= v; });
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return compare("gt", a, b, [](auto u, auto v) { return u > v; });
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return compare("ge", a, b, [](auto u, auto v) { return u >= v; });
}
Tensor eq(const Tensor& x, double s) {
  return compare("eq", x, s, [](auto u, auto v) { return u == v; });
}
Tensor ne(const Tensor& x, double s) {
  return compare("ne", x, s, [](auto u, auto v) { return u != v; });
}
Tensor lt(const Tensor& x, double s) {
  return compare("lt", x, s, [](auto u, auto v) { return u < v; });
}
Tensor le(const Tensor& x, double s) {
  return compare("le", x, s, [](auto u, auto v) { return u <= v; });
}
Tensor gt(const Tensor& x, double s) {
  return compare("gt", x, s, [](auto u, auto v) { return u > v; });
}
Tensor ge(const Tensor& x, double s) {
  return compare("ge", x, s, [](auto u, auto v) { return u >= v; });
}

Tensor operator==(const Tensor& a, const Tensor& b) {
  return eq(a, b);
}
Tensor operator!=(const Tensor& a, const Tensor& b) {
  return ne(a, b);
}
Tensor operator<(const Tensor& a, const Tensor& b) {
  return lt(a, b);
}
Tensor operator<=(const Tensor& a, const Tensor& b) {
  return le(a, b);
}
Tensor operator>(const Tensor& a, const Tensor& b) {
  return gt(a, b);
}
Tensor operator>=(const Tensor& a, const Tensor& b) {
  return ge(a, b);
}
Tensor operator==(const Tensor& x, double s) {
  return eq(x, s);
}
Tensor operator!=(const Tensor& x, double s) {
  return ne(x, s);
}
Tensor operator<(const Tensor& x, double s) {
  return lt(x, s);
}
Tensor operator<=(const Tensor& x, double s) {
  return le(x, s);
}
Tensor operator>(const Tensor& x, double s) {
  return gt(x, s);
}
Tensor operator>=(const Tensor& x, double s) {
  return ge(x, s);
}

Tensor logical_and(const Tensor& a, const Tensor& b) {
  return logical("logical_and", a, b, [](bool u, bool v) { return u && v; });
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return logical("logical_or", a, b, [](bool u, bool v) { return u || v; });
}
Tensor logical_xor(const Tensor& a, const Tensor& b) {
  return logical("logical_xor", a, b, [](bool u, bool v) { return u != v; });
}
Tensor logical_not(const Tensor& x) {
  check_bool("logical_not", x, "the input");
  Tensor out = kernels::empty<bool>(x.sizes());
  const bool* in = kernels::values<bool>(x);
  bool* po = kernels::values<bool>(out);
  for (std::size_t i = 0, n = x.numel(); i < n; ++i) po[i] = !in[i];
  return out;
}
Tensor operator&(const Tensor& a, const Tensor& b) {
  return logical_and(a, b);
}
Tensor operator|(const Tensor& a, const Tensor& b) {
  return logical_or(a, b);
}
Tensor operator~(const Tensor& x) {
  return logical_not(x);
}

Tensor argmax(const Tensor& x) {
  return arg_extreme("argmax", x, [](auto u, auto v) { return u > v; });
}
Tensor argmin(const Tensor& x) {
  return arg_extreme("argmin", x, [](auto u, auto v) { return u < v; });
}
Tensor argmax(const Tensor& x, long axis, bool keepdim) {
  return arg_extreme("argmax", x, axis, keepdim, [](auto u, auto v) { return u > v; });
}
Tensor argmin(const Tensor& x, long axis, bool keepdim) {
  return arg_extreme("argmin", x, axis, keepdim, [](auto u, auto v) { return u < v; });
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  check_bool("where", condition, "condition");
  kernels::check_same_dtype("where", a, b);
  const Shape shape =
      broadcast_shapes("where", condition.shape(), broadcast_shapes("where", a.shape(), b.shape()));
  // b with a's values where the condition holds: a masked copy of b through a's broadcast.
  const Tensor cond = condition.to(a.dtype());
  Tensor y = dispatch_arithmetic("where", a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(shape);
    T* po = kernels::values<T>(out);
    const T* pa = kernels::values<T>(a);
    const T* pb = kernels::values<T>(b);
    const T* pc = kernels::values<T>(cond);
    const kernels::Strides sb = kernels::broadcast_strides(b.sizes(), shape);
    kernels::strided_loop(
        shape, kernels::broadcast_strides(cond.sizes(), shape),
        kernels::broadcast_strides(a.sizes(), shape),
        [&](std::size_t o, std::size_t c, std::size_t i) { po[o] = pc[c] != T(0) ? pa[i] : T(0); });
    kernels::strided_loop(shape, kernels::broadcast_strides(cond.sizes(), shape), sb,
                          [&](std::size_t o, std::size_t c, std::size_t j) {
                            if (pc[c] == T(0)) po[o] = pb[j];
                          });
    return out;
  });
  return record(
      "where", std::move(y), {a, b},
      [condition, a_shape = a.sizes().inline_copy(), b_shape = b.sizes().inline_copy(),
       a_grad = a.requires_grad(), b_grad = b.requires_grad()](const Tensor& dy) {
        // d/da = 1 where the condition holds, d/db = 1 elsewhere
        Tensor da, db;
        if (a_grad) da = reduce_to_shape(masked_fill(dy, logical_not(condition), 0.0), a_shape);
        if (b_grad) db = reduce_to_shape(masked_fill(dy, condition, 0.0), b_shape);
        return Gradients{da, db};
      },
      Saves::nothing);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  kernels::check_defined("masked_fill", x);
  check_bool("masked_fill", mask, "mask");
  const Shape shape = x.shape();
  const Shape mask_shape = mask.shape();
  bool fits = mask_shape.size() <= shape.size();
  for (std::size_t d = 0; fits && d < mask_shape.size(); ++d) {
    const std::size_t m = mask_shape[mask_shape.size() - 1 - d];
    fits = m == 1 || m == shape[shape.size() - 1 - d];
  }
  if (!fits) {
    throw std::invalid_argument("masked_fill: mask of shape " + format_shape(mask_shape) +
                                " does not broadcast to the tensor's shape " + format_shape(shape));
  }
  Tensor y = fill_where(x, mask, value);
  return record(
      "masked_fill", std::move(y), {x},
      [mask](const Tensor& dy) {
        // d/dx = 0 where filled, 1 elsewhere
        return Gradients{masked_fill(dy, mask, 0.0)};
      },
      Saves::nothing);
}

}  // namespace xgrad

// Internal: the loops behind the ops (elementwise, broadcasting, strided reduction). Included only
// by library sources, so each kernel is instantiated there for float and double and nowhere else.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/dtype.hpp"
#include "autograd/ops/fastmath.hpp"
#include "autograd/parallel.hpp"
#include "autograd/shape.hpp"
#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"

namespace xgrad::kernels {

using detail::for_each_range;

using Strides = std::vector<std::size_t>;

inline void check_defined(const char* op, const Tensor& t) {
  if (!t.defined()) throw std::invalid_argument(std::string(op) + ": tensor is undefined");
}

inline void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  check_defined(op, a);
  check_defined(op, b);
  if (a.dtype() != b.dtype()) {
    throw std::invalid_argument(std::string(op) + ": dtype mismatch: " + dtype_name(a.dtype()) +
                                " and " + dtype_name(b.dtype()) + " (convert one with to())");
  }
}

/// Throws std::invalid_argument "<op>: expected a floating-point tensor (float32 or float64), got
/// int64" unless t is float32 or float64.
inline void check_floating(const char* op, const Tensor& t) {
  check_defined(op, t);
  if (!is_floating_point(t.dtype())) {
    throw std::invalid_argument(std::string(op) +
                                ": expected a floating-point tensor (float32 or float64), got " +
                                dtype_name(t.dtype()) + " (convert it with to())");
  }
}

/// One value converted to another element type as to() converts: floats to int64 truncate toward
/// zero, NaN or a value outside int64 throws std::invalid_argument naming `op` and the value (the
/// bare conversion is undefined behaviour); anything to bool is "not zero".
template <class To, class From>
To convert_value(const char* op, From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_same_v<To, std::int64_t> && std::is_floating_point_v<From>) {
    // -2^63 is exact in double; 2^63 is the first value past the top.
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) {
      throw std::invalid_argument(std::string(op) + ": " + format_number(static_cast<double>(v)) +
                                  " cannot be converted to int64");
    }
    return static_cast<std::int64_t>(v);
  } else {
    return static_cast<To>(v);
  }
}

/// An uninitialised tensor of the given element type and shape.
template <class T>
Tensor empty(ShapeRef shape) {
  return detail::empty_tensor<T>(shape);
}

/// The values of a tensor of element type T, as a pointer to the first.
template <class T>
T* values(Tensor& t) {
  return t.data<T>().data();
}
template <class T>
const T* values(const Tensor& t) {
  return t.data<T>().data();
}

/// The sum of term(0), ..., term(n - 1), accumulated in double over eight independent lanes:
/// accurate for float32, and free of the one-add-at-a-time dependency chain, so the compiler
/// vectorises it. Every full sum (sum(), the fused losses) adds in this order.
template <class F>
double sum_lanes(std::size_t n, F term) {
  double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (std::size_t k = 0; k < 8; ++k) lanes[k] += static_cast<double>(term(i + k));
  }
  for (; i < n; ++i) lanes[i % 8] += static_cast<double>(term(i));
  double sum = 0;
  for (double lane : lanes) sum += lane;
  return sum;
}

/// sum_lanes of n terms that a vectorisable loop computes a block at a time: fill(begin, count,
/// out) writes terms begin, ..., begin + count - 1 to out. The same sum, lane for lane, as
/// sum_lanes(n, term) (each term i goes to lane i mod 8, in order).
template <class T, class Fill>
double sum_lanes_blocked(std::size_t n, Fill fill) {
  constexpr std::size_t kBlock = 256;  // a multiple of the 8 lanes
  double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  T block[kBlock];
  for (std::size_t begin = 0; begin < n; begin += kBlock) {
    const std::size_t count = std::min(kBlock, n - begin);
    fill(begin, count, block);
    std::size_t j = 0;
    for (; j + 8 <= count; j += 8) {
      for (std::size_t k = 0; k < 8; ++k) lanes[k] += static_cast<double>(block[j + k]);
    }
    for (; j < count; ++j) lanes[j % 8] += static_cast<double>(block[j]);
  }
  double sum = 0;
  for (double lane : lanes) sum += lane;
  return sum;
}

/// The logistic function 1 / (1 + e^-v) given e = e^-|v|: 1 / (1 + e) for v >= 0, e / (1 + e)
/// below. Only exp of a non-positive number is needed, so nothing overflows.
template <class T>
T sigmoid_from(T v, T e) {
  return v >= 0 ? T(1) / (T(1) + e) : e / (T(1) + e);
}

/// The logistic function 1 / (1 + e^-v), branch-free so that loops over it vectorise. Always
/// inlined: left to itself gcc calls it once per element from the elementwise loops (the clamp
/// and NaN selects of exp_value tip its size over the inlining limit), 5% of op_overhead.
template <class T>
inline __attribute__((always_inline)) T sigmoid_value(T v) {
  return sigmoid_from(v, exp_value(-std::abs(v)));
}

/// Row-major strides of `shape`, in elements.
Strides contiguous_strides(ShapeRef shape);

/// Strides that read a tensor of shape `from` as if it had the broadcast shape `to`: 0 along
/// broadcast axes. `from` must broadcast to `to`.
Strides broadcast_strides(ShapeRef from, ShapeRef to);

/// Calls f(out_offset, a_offset, b_offset) for every index of `shape` in row-major order, where
/// the operand offsets advance by their strides (0 to repeat along an axis).
template <class F>
void strided_loop(ShapeRef shape, const Strides& stride_a, const Strides& stride_b, F f) {
  const std::size_t rank = shape.size();
  const std::size_t total = shape_numel(shape);
  if (total == 0) return;
  if (rank == 0) {
    f(std::size_t{0}, std::size_t{0}, std::size_t{0});
    return;
  }
  const std::size_t inner = shape[rank - 1];
  const std::size_t sa = stride_a[rank - 1];
  const std::size_t sb = stride_b[rank - 1];
  std::vector<std::size_t> index(rank, 0);
  std::size_t ia = 0;
  std::size_t ib = 0;
  for (std::size_t out = 0; out < total; out += inner) {
    for (std::size_t j = 0; j < inner; ++j) f(out + j, ia + j * sa, ib + j * sb);
    for (std::size_t d = rank - 1; d-- > 0;) {
      ia += stride_a[d];
      ib += stride_b[d];
      if (++index[d] < shape[d]) break;
      ia -= stride_a[d] * shape[d];
      ib -= stride_b[d] * shape[d];
      index[d] = 0;
    }
  }
}

/// While a capture runs (capture.hpp), records run(a's values, out's values), which the caller
/// has just run, to run again on replay. A reads a, writes out; both tensors' values must stay
/// alive and keep their sizes, which the recorded kernel holds and checks.
template <class TA, class TO, class Run>
void record_kernel(const char* op, const Tensor& a, const Tensor& out, Run run) {
  if (!detail::active_tape) return;
  detail::record_kernel(op, {&a}, {&out},
                        [run, sa = a.impl()->storage.get(), so = out.impl()->storage.get(),
                         na = a.numel(), no = out.numel()]() mutable {
                          run(detail::replay_values<TA>(*sa, na),
                              detail::replay_values<TO>(*so, no));
                        });
}

/// As above for run(a's values, b's values, out's values).
template <class TA, class TB, class TO, class Run>
void record_kernel(const char* op, const Tensor& a, const Tensor& b, const Tensor& out, Run run) {
  if (!detail::active_tape) return;
  detail::record_kernel(
      op, {&a, &b}, {&out},
      [run, sa = a.impl()->storage.get(), sb = b.impl()->storage.get(),
       so = out.impl()->storage.get(), na = a.numel(), nb = b.numel(), no = out.numel()]() mutable {
        run(detail::replay_values<TA>(*sa, na), detail::replay_values<TB>(*sb, nb),
            detail::replay_values<TO>(*so, no));
      });
}

/// out[i] = f(x[i]) elementwise, for any element type.
template <class F>
Tensor unary(const Tensor& x, F f) {
  return dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto& in = x.data<T>();
    Tensor out = kernels::empty<T>(in.shape());
    auto run = [f, n = in.size()](const T* src, T* dst) {
      for_each_range(n, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) dst[i] = f(src[i]);
      });
    };
    run(in.data(), values<T>(out));
    record_kernel<T, T>("unary", x, out, run);
    return out;
  });
}

/// out = f(a, b) elementwise with NumPy broadcasting; checks dtypes and shapes first, naming `op`.
/// Floating-point dtypes only, unless kIntegers: then int64 too (add, sub, mul).
template <bool kIntegers = false, class F>
Tensor binary(const char* op, const Tensor& a, const Tensor& b, F f) {
  check_same_dtype(op, a, b);
  auto body = [&](auto tag) {
    using T = decltype(tag);
    const auto& xa = a.data<T>();
    const auto& xb = b.data<T>();
    const T* pa = xa.data();
    const T* pb = xb.data();
    if (ShapeRef(xa.shape()) == ShapeRef(xb.shape())) {
      Tensor out = kernels::empty<T>(xa.shape());
      auto run = [f, n = xa.size()](const T* pa, const T* pb, T* po) {
        for_each_range(n, [&](std::size_t begin, std::size_t end) {
          for (std::size_t i = begin; i < end; ++i) po[i] = f(pa[i], pb[i]);
        });
      };
      run(pa, pb, values<T>(out));
      record_kernel<T, T, T>(op, a, b, out, run);
      return out;
    }
    const Shape sa(xa.shape().begin(), xa.shape().end());
    const Shape sb(xb.shape().begin(), xb.shape().end());
    const Shape shape = broadcast_shapes(op, sa, sb);
    Tensor out = kernels::empty<T>(shape);
    auto run = [f, shape, stride_a = broadcast_strides(sa, shape),
                stride_b = broadcast_strides(sb, shape)](const T* pa, const T* pb, T* po) {
      strided_loop(shape, stride_a, stride_b, [&](std::size_t o, std::size_t ia, std::size_t ib) {
        po[o] = f(pa[ia], pb[ib]);
      });
    };
    run(pa, pb, values<T>(out));
    record_kernel<T, T, T>(op, a, b, out, run);
    return out;
  };
  if constexpr (kIntegers) {
    return dispatch_arithmetic(op, a.dtype(), body);
  } else {
    check_floating(op, a);
    return dispatch(a.dtype(), body);
  }
}

/// True when `t` is the only handle to its values and is in no graph: a gradient the engine hands
/// to a backward and drops afterwards, whose buffer the backward may overwrite.
inline bool sole_owner(const Tensor& t) {
  const auto& impl = t.impl();
  return impl && impl.use_count() == 1 && impl->storage.use_count() == 1 && !impl->grad_fn;
}

/// unary(x, f), written over x's own values when x is their sole owner: no new buffer.
template <class F>
Tensor unary_reusing(const Tensor& x, F f) {
  if (!sole_owner(x)) return unary(x, f);
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto run = [f, n = x.numel()](const T*, T* v) {
      for_each_range(n, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) v[i] = f(v[i]);
      });
    };
    T* v = std::get<TensorValues<T>>(*x.impl()->storage).data();
    run(v, v);
    record_kernel<T, T>("unary", x, x, run);
  });
  return x;
}

/// binary(op, a, b, f), written over a's own values when a is their sole owner and b has a's shape
/// and dtype: no new buffer.
template <class F>
Tensor binary_reusing(const char* op, const Tensor& a, const Tensor& b, F f) {
  if (!sole_owner(a) || !b.defined() || a.dtype() != b.dtype() || a.sizes() != b.sizes()) {
    return binary(op, a, b, f);
  }
  dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto run = [f, n = a.numel()](const T*, const T* vb, T* va) {
      for_each_range(n, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) va[i] = f(va[i], vb[i]);
      });
    };
    T* va = std::get<TensorValues<T>>(*a.impl()->storage).data();
    run(va, values<T>(b), va);
    record_kernel<T, T, T>(op, a, b, a, run);
  });
  return a;
}

}  // namespace xgrad::kernels

// Internal: the loops behind the ops (elementwise, broadcasting, strided reduction). Included only
// by library sources, so each kernel is instantiated there for float and double and nowhere else.
#pragma once

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/dtype.hpp"
#include "autograd/shape.hpp"
#include "autograd/tensor.hpp"

namespace xgrad::kernels {

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

/// An uninitialised tensor of the given element type and shape.
template <class T, class S>
Tensor empty(const S& shape) {
  return Tensor(xt::xarray<T>::from_shape(shape));
}

/// Row-major strides of `shape`, in elements.
Strides contiguous_strides(const Shape& shape);

/// Strides that read a tensor of shape `from` as if it had the broadcast shape `to`: 0 along
/// broadcast axes. `from` must broadcast to `to`.
Strides broadcast_strides(const Shape& from, const Shape& to);

/// Calls f(out_offset, a_offset, b_offset) for every index of `shape` in row-major order, where
/// the operand offsets advance by their strides (0 to repeat along an axis).
template <class F>
void strided_loop(const Shape& shape, const Strides& stride_a, const Strides& stride_b, F f) {
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

/// out[i] = f(x[i]) elementwise, for any element type.
template <class F>
Tensor unary(const Tensor& x, F f) {
  return dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto& in = x.data<T>();
    auto out = xt::xarray<T>::from_shape(in.shape());
    const T* src = in.data();
    T* dst = out.data();
    const std::size_t n = in.size();
    for (std::size_t i = 0; i < n; ++i) dst[i] = f(src[i]);
    return Tensor(std::move(out));
  });
}

/// out = f(a, b) elementwise with NumPy broadcasting; checks dtypes and shapes first, naming `op`.
template <class F>
Tensor binary(const char* op, const Tensor& a, const Tensor& b, F f) {
  check_same_dtype(op, a, b);
  return dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto& xa = a.data<T>();
    const auto& xb = b.data<T>();
    const T* pa = xa.data();
    const T* pb = xb.data();
    if (std::equal(xa.shape().begin(), xa.shape().end(), xb.shape().begin(), xb.shape().end())) {
      auto out = xt::xarray<T>::from_shape(xa.shape());
      T* po = out.data();
      const std::size_t n = xa.size();
      for (std::size_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
      return Tensor(std::move(out));
    }
    const Shape sa(xa.shape().begin(), xa.shape().end());
    const Shape sb(xb.shape().begin(), xb.shape().end());
    const Shape shape = broadcast_shapes(op, sa, sb);
    auto out = xt::xarray<T>::from_shape(shape);
    T* po = out.data();
    strided_loop(shape, broadcast_strides(sa, shape), broadcast_strides(sb, shape),
                 [&](std::size_t o, std::size_t ia, std::size_t ib) { po[o] = f(pa[ia], pb[ib]); });
    return Tensor(std::move(out));
  });
}

}  // namespace xgrad::kernels

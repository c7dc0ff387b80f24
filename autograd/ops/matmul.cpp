// Matrix products: one BLAS gemm/gemv per product, transposes passed as flags, never as copies.
// Backward products are matmuls with flags too, so double backward goes through the same code.
#include "autograd/ops/matmul.hpp"

#include <stdexcept>
#include <string>

#include <xtensor-blas/xblas.hpp>

#include "autograd/factory.hpp"
#include "autograd/node.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/reduction.hpp"
#include "autograd/ops/shape_ops.hpp"

namespace xgrad {

namespace {

std::string operand(const char* name, const Shape& shape, bool transposed) {
  return std::string(name) + " is " + format_shape(shape) + (transposed ? " (transposed)" : "");
}

// op(A) @ v for a matrix A (r, c) and a vector v; op transposes A when `transpose`.
Tensor matvec(const Tensor& a, const Tensor& v, bool transpose) {
  const Shape sa = a.shape();
  const std::size_t rows = transpose ? sa[1] : sa[0];
  const std::size_t inner = transpose ? sa[0] : sa[1];
  if (v.numel() != inner) {
    throw std::invalid_argument(
        "matmul: inner dimensions differ: " + operand("matrix", sa, transpose) + ", vector is " +
        format_shape(v.shape()));
  }
  Tensor y = dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto out = xt::xarray<T>::from_shape({rows});
    out.fill(0);
    if (rows > 0 && inner > 0) xt::blas::gemv(a.data<T>(), v.data<T>(), out, transpose);
    return Tensor(std::move(out));
  });
  return record("matmul", y, {a, v}, [a, v, transpose](const Tensor& dy) {
    Tensor da, dv;
    const long n_out = static_cast<long>(dy.numel());
    const long n_in = static_cast<long>(v.numel());
    if (a.requires_grad()) {
      // y = A v: dA = dy v^T (an outer product); y = A^T v: dA = v dy^T
      da = transpose ? mul(reshape(v, {n_in, 1}), reshape(dy, {1, n_out}))
                     : mul(reshape(dy, {n_out, 1}), reshape(v, {1, n_in}));
    }
    if (v.requires_grad()) dv = matvec(a, dy, !transpose);  // dv = op(A)^T dy
    return Gradients{da, dv};
  });
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  kernels::check_same_dtype("matmul", a, b);
  const Shape sa = a.shape();
  const Shape sb = b.shape();
  if (sa.size() != 2 || sb.size() != 2) {
    throw std::invalid_argument("matmul: transposed products need 2-D tensors; a is " +
                                format_shape(sa) + ", b is " + format_shape(sb));
  }
  const std::size_t m = transpose_a ? sa[1] : sa[0];
  const std::size_t k = transpose_a ? sa[0] : sa[1];
  const std::size_t kb = transpose_b ? sb[1] : sb[0];
  const std::size_t n = transpose_b ? sb[0] : sb[1];
  if (k != kb) {
    throw std::invalid_argument(
        "matmul: inner dimensions differ: " + operand("a", sa, transpose_a) + ", " +
        operand("b", sb, transpose_b));
  }
  // C[m, n] = op(A)[m, k] @ op(B)[k, n]
  Tensor y = dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto out = xt::xarray<T>::from_shape({m, n});
    if (m == 0 || n == 0 || k == 0) {
      out.fill(0);  // BLAS rejects zero leading dimensions; the product is all zeros anyway
    } else {
      xt::blas::gemm(a.data<T>(), b.data<T>(), out, transpose_a, transpose_b);
    }
    return Tensor(std::move(out));
  });
  return record("matmul", y, {a, b}, [a, b, transpose_a, transpose_b](const Tensor& dc) {
    Tensor da, db;
    if (a.requires_grad()) {
      // dA[m, k] = dC[m, n] @ op(B)^T; if A enters transposed, dA[k, m] = op(B) @ dC^T
      da = transpose_a ? matmul(b, dc, transpose_b, true) : matmul(dc, b, false, !transpose_b);
    }
    if (b.requires_grad()) {
      // dB[k, n] = op(A)^T @ dC; if B enters transposed, dB[n, k] = dC^T @ op(A)
      db = transpose_b ? matmul(dc, a, true, transpose_a) : matmul(a, dc, !transpose_a, false);
    }
    return Gradients{da, db};
  });
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  kernels::check_same_dtype("matmul", a, b);
  const std::size_t ra = a.dim();
  const std::size_t rb = b.dim();
  // Checked here, in the caller's terms: matvec's own message names its internal (possibly
  // transposed) matrix and vector, which for a @ B is B transposed.
  auto check_inner = [&](std::size_t ka, std::size_t kb) {
    if (ka != kb) {
      throw std::invalid_argument("matmul: inner dimensions differ: a is " +
                                  format_shape(a.shape()) + ", b is " + format_shape(b.shape()));
    }
  };
  if (ra == 2 && rb == 2) return matmul(a, b, false, false);
  if (ra == 2 && rb == 1) {
    check_inner(a.size(1), b.numel());
    return matvec(a, b, false);
  }
  if (ra == 1 && rb == 2) {
    check_inner(a.numel(), b.size(0));
    return matvec(b, a, true);  // a @ B = B^T a
  }
  if (ra == 1 && rb == 1) {
    check_inner(a.numel(), b.numel());
    return sum(mul(a, b));
  }
  throw std::invalid_argument("matmul: supports 1-D and 2-D tensors; a is " +
                              format_shape(a.shape()) + ", b is " + format_shape(b.shape()));
}

}  // namespace xgrad

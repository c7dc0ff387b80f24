// Matrix products: one BLAS gemm/gemv per product, transposes passed as flags, never as copies.
// Backward products are matmuls with flags too, so double backward goes through the same code.
// addmm and linear add a broadcast input (a bias) inside the same gemm call.
#include "autograd/ops/matmul.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include <xtensor-blas/xblas.hpp>

#include "autograd/factory.hpp"
#include "autograd/node.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/reduction.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/threads.hpp"

namespace xgrad {

namespace {

std::string operand(const char* name, ShapeRef shape, bool transposed) {
  return std::string(name) + " is " + format_shape(shape) + (transposed ? " (transposed)" : "");
}

// C[m, n] = beta C + alpha op(A)[m, k] @ op(B)[k, n] on row-major buffers; A is stored (m, k) or,
// when transposed, (k, m), and B likewise. beta 0 ignores C's old values (NaN included). When one
// side is a vector this is a gemv, which reads the matrix once; a gemm would first pack it into a
// copy.
template <class T>
void gemm_raw(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, const T* b,
              T alpha, T beta, T* c) {
  using cxxblas::StorageOrder;
  using cxxblas::Transpose;
  using Index = xt::blas_index_t;
  if (m == 0 || n == 0) return;
  // C = 0 then C += A B: a plain fill is cheaper than OpenBLAS's beta = 0 pass (a memset per row)
  // and, for gemv, does not depend on how a BLAS scales a C that may hold NaN by 0.
  if (beta == T(0)) {
    kernels::for_each_range(m * n,
                            [c](std::size_t i, std::size_t e) { std::fill(c + i, c + e, T(0)); });
    beta = T(1);
  }
  if (k == 0) {  // BLAS rejects zero leading dimensions; the product adds nothing
    if (beta != T(1)) std::for_each(c, c + m * n, [beta](T& v) { v *= beta; });
    return;
  }
  const auto trans = [](bool t) { return t ? Transpose::Trans : Transpose::NoTrans; };
  const Index lda = static_cast<Index>(ta ? m : k);
  const Index ldb = static_cast<Index>(tb ? k : n);
  const auto i = [](std::size_t v) { return static_cast<Index>(v); };
  const detail::SmallProductScope one_thread_if_small(m, n, k);  // see threads.hpp
  if (n == 1) {
    // C[:, 0] = beta C[:, 0] + alpha op(A) b, b the k values of B in either layout
    cxxblas::gemv<Index>(StorageOrder::RowMajor, trans(ta), i(ta ? k : m), i(ta ? m : k), alpha, a,
                         lda, b, Index(1), beta, c, Index(1));
  } else if (m == 1) {
    // C[0, :] = beta C[0, :] + alpha a op(B) = ... op(B)^T a, a the k values of A in either layout
    cxxblas::gemv<Index>(StorageOrder::RowMajor, trans(!tb), i(tb ? n : k), i(tb ? k : n), alpha, b,
                         ldb, a, Index(1), beta, c, Index(1));
  } else {
    cxxblas::gemm<Index>(StorageOrder::RowMajor, trans(ta), trans(tb), i(m), i(n), i(k), alpha, a,
                         lda, b, ldb, beta, c, i(n));
  }
}

template <class T>
void gemm_raw(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, const T* b,
              bool accumulate, T* c) {
  gemm_raw(ta, tb, m, n, k, a, b, T(1), accumulate ? T(1) : T(0), c);
}

// The extents of op(a) @ op(b), checked: m, k and n.
struct Product {
  std::size_t m, k, n;
};

Product product_shape(const char* op, const Tensor& a, const Tensor& b, bool ta, bool tb) {
  kernels::check_same_dtype(op, a, b);
  const ShapeRef sa = a.sizes();
  const ShapeRef sb = b.sizes();
  if (sa.size() != 2 || sb.size() != 2) {
    throw std::invalid_argument(std::string(op) + ": transposed products need 2-D tensors; a is " +
                                format_shape(sa) + ", b is " + format_shape(sb));
  }
  const std::size_t k = ta ? sa[0] : sa[1];
  const std::size_t kb = tb ? sb[1] : sb[0];
  if (k != kb) {
    throw std::invalid_argument(std::string(op) + ": inner dimensions differ: " +
                                operand("a", sa, ta) + ", " + operand("b", sb, tb));
  }
  return {ta ? sa[1] : sa[0], k, tb ? sb[0] : sb[1]};
}

// out = beta out + alpha op(x) @ op(y), in place on out's values (a parameter's step, see
// product_gradients).
void product_into(Tensor& out, const Tensor& x, const Tensor& y, bool tx, bool ty, double alpha,
                  double beta) {
  const Product p = product_shape("matmul", x, y, tx, ty);
  dispatch(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto run = [p, tx, ty, a = static_cast<T>(alpha), b = static_cast<T>(beta)](
                   const T* px, const T* py, T* po) {
      gemm_raw(tx, ty, p.m, p.n, p.k, px, py, a, b, po);
    };
    run(kernels::values<T>(x), kernels::values<T>(y), kernels::values<T>(out));
    if (detail::active_tape) {
      detail::record_kernel(
          "step", {&x, &y, &out}, {&out},
          [run, sx = x.impl()->storage.get(), nx = x.numel(), sy = y.impl()->storage.get(),
           ny = y.numel(), so = out.impl()->storage.get(), no = out.numel()] {
            run(detail::replay_values<T>(*sx, nx), detail::replay_values<T>(*sy, ny),
                detail::replay_values<T>(*so, no));
          });
      detail::bump_version(*out.impl()->storage, "step");  // product_step left it to us
    }
  });
}

// The gradients of op(a) @ op(b) given dC, as products with flags (differentiable again):
//   dA[m, k] = dC[m, n] @ op(B)^T, or dA[k, m] = op(B) @ dC^T when A enters transposed;
//   dB[k, n] = op(A)^T @ dC, or dB[n, k] = dC^T @ op(A) when B enters transposed.
// When an operand is a parameter that takes its step in backward and this product is its whole
// gradient (product_step), the step's gemm writes the update into the parameter and no gradient is
// returned for it; the other operand's gradient is computed first, from the values the forward
// pass used.
std::pair<Tensor, Tensor> product_gradients(const Tensor& a, const Tensor& b, bool ta, bool tb,
                                            const Tensor& dc) {
  double alpha = 0, beta = 0;
  BackwardStep* step_b = b.requires_grad() ? detail::product_step(b, alpha, beta) : nullptr;
  BackwardStep* step_a =
      !step_b && a.requires_grad() ? detail::product_step(a, alpha, beta) : nullptr;
  Tensor da, db;
  if (a.requires_grad() && !step_a) {
    da = ta ? matmul(b, dc, tb, true) : matmul(dc, b, false, !tb);
  }
  if (b.requires_grad() && !step_b) {
    db = tb ? matmul(dc, a, true, ta) : matmul(a, dc, !ta, false);
  }
  if (step_a) {
    Tensor param = a;
    ta ? product_into(param, b, dc, tb, true, alpha, beta)
       : product_into(param, dc, b, false, !tb, alpha, beta);
  }
  if (step_b) {
    Tensor param = b;
    tb ? product_into(param, dc, a, true, ta, alpha, beta)
       : product_into(param, a, dc, !ta, false, alpha, beta);
  }
  return {da, db};
}

// input + op(a) @ op(b), the input broadcast to the product's shape (m, n) first.
Tensor affine(const char* op, const Tensor& input, const Tensor& a, const Tensor& b, bool ta,
              bool tb) {
  const Product p = product_shape(op, a, b, ta, tb);
  kernels::check_same_dtype(op, input, a);
  const Shape out_shape{p.m, p.n};
  const ShapeRef si = input.sizes();
  // The input broadcasts to (m, n): at most two axes, each 1 or the product's extent.
  bool broadcasts = si.size() <= 2;
  for (std::size_t d = 0; broadcasts && d < si.size(); ++d) {
    const std::size_t extent = out_shape[2 - si.size() + d];
    broadcasts = si[d] == 1 || si[d] == extent;
  }
  if (!broadcasts) {
    throw std::invalid_argument(std::string(op) + ": input " + format_shape(si) +
                                " does not broadcast to the product's shape " +
                                format_shape(out_shape));
  }
  Tensor y = dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(out_shape);
    const bool row = si.size() > 0 && si[si.size() - 1] == p.n && input.numel() == p.n;
    auto run = [p, ta, tb, row](const Shape& input_shape, const Shape& out_shape, const T* src,
                                const T* pa, const T* pb, T* dst) {
      if (row) {  // a bias (n,) or (1, n): copied to every row
        // Row 0, then the rows filled so far copied after themselves (1, 2, 4, ... rows): a few
        // large copies, where one copy a row is a library call per row (a 10,000-row batch
        // through a layer of 4 units: 10,000 calls of 16 bytes).
        if (p.m > 0) std::copy(src, src + p.n, dst);
        for (std::size_t filled = 1; filled < p.m;) {
          const std::size_t count = std::min(filled, p.m - filled);
          std::copy(dst, dst + count * p.n, dst + filled * p.n);
          filled += count;
        }
      } else {
        kernels::strided_loop(out_shape, kernels::contiguous_strides(out_shape),
                              kernels::broadcast_strides(input_shape, out_shape),
                              [&](std::size_t o, std::size_t, std::size_t i) { dst[o] = src[i]; });
      }
      // [m, n] += op(A)[m, k] @ op(B)[k, n]
      gemm_raw(ta, tb, p.m, p.n, p.k, pa, pb, true, dst);
    };
    const Shape input_shape = row ? Shape() : si.vec();
    run(input_shape, out_shape, kernels::values<T>(input), kernels::values<T>(a),
        kernels::values<T>(b), kernels::values<T>(out));
    if (detail::active_tape) {
      detail::record_kernel(
          op, {&input, &a, &b}, {&out},
          [run, input_shape, out_shape, si = input.impl()->storage.get(), ni = input.numel(),
           sa = a.impl()->storage.get(), na = a.numel(), sb = b.impl()->storage.get(),
           nb = b.numel(), so = out.impl()->storage.get(), no = out.numel()] {
            run(input_shape, out_shape, detail::replay_values<T>(*si, ni),
                detail::replay_values<T>(*sa, na), detail::replay_values<T>(*sb, nb),
                detail::replay_values<T>(*so, no));
          });
    }
    return out;
  });
  return detail::record_optional(
      op, std::move(y), {input, a, b},
      [input_shape = si.inline_copy(), need_input = input.requires_grad(), a, b, ta,
       tb](const Tensor& dc) {
        auto [da, db] = product_gradients(a, b, ta, tb, dc);
        // d(input)/d(input) = 1, summed over the axes it was broadcast along
        Tensor dinput = need_input ? reduce_to_shape(dc, input_shape) : Tensor();
        return Gradients{dinput, da, db};
      });
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
    Tensor result = kernels::empty<T>(Shape{rows});
    auto& out = result.data<T>();
    out.fill(0);
    const detail::SmallProductScope one_thread_if_small(rows, 1, inner);
    if (rows > 0 && inner > 0) xt::blas::gemv(a.data<T>(), v.data<T>(), out, transpose);
    return result;
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

// The batch extents of a (..., r, c) tensor: all but its last two axes.
Shape batch_of(ShapeRef shape) {
  return Shape(shape.begin(), shape.end() - 2);
}

// The batched product C[r] (+)= op(A)[a] @ op(B)[b] over every index of the joint batch (the
// broadcast of A's, B's and C's batch shapes), where r, a and b are that index read through each
// operand's broadcast strides: C entries a broadcast batch axis maps together are summed. With C's
// batch the broadcast of A's and B's this is torch.matmul; a smaller C batch is the gradient of an
// operand that was broadcast. Closed under differentiation: both gradients are products of this
// kind, so double backward goes through the same code.
Tensor batched_product(const Tensor& a, const Tensor& b, bool ta, bool tb, const Shape& out_batch);

// The extents of op(a) @ op(b) for rank >= 2 tensors, checked, with the joint batch shape.
struct BatchedProduct {
  std::size_t m, k, n;
  Shape batch;  // the broadcast of a's and b's batch shapes
};

BatchedProduct batched_shape(const char* op, const Tensor& a, const Tensor& b, bool ta, bool tb) {
  kernels::check_same_dtype(op, a, b);
  const ShapeRef sa = a.sizes();
  const ShapeRef sb = b.sizes();
  if (sa.size() < 2 || sb.size() < 2) {
    throw std::invalid_argument(std::string(op) + ": batched products need rank 2 or more; a is " +
                                format_shape(sa) + ", b is " + format_shape(sb));
  }
  const std::size_t ra = sa.size(), rb = sb.size();
  const std::size_t k = ta ? sa[ra - 2] : sa[ra - 1];
  const std::size_t kb = tb ? sb[rb - 1] : sb[rb - 2];
  if (k != kb) {
    throw std::invalid_argument(std::string(op) + ": inner dimensions differ: " +
                                operand("a", sa, ta) + ", " + operand("b", sb, tb));
  }
  BatchedProduct p{ta ? sa[ra - 1] : sa[ra - 2], k, tb ? sb[rb - 2] : sb[rb - 1], {}};
  const Shape ba = batch_of(sa), bb = batch_of(sb);
  try {
    p.batch = broadcast_shapes(op, ba, bb);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument(std::string(op) + ": batch dimensions do not broadcast: a is " +
                                format_shape(sa) + ", b is " + format_shape(sb));
  }
  return p;
}

// Gradients of batched_product(a, b, ta, tb, batch) given dC, summed back to each operand's batch:
//   dA[m, k] = dC[m, n] @ op(B)^T, or dA[k, m] = op(B) @ dC^T when A enters transposed;
//   dB[k, n] = op(A)^T @ dC, or dB[n, k] = dC^T @ op(A) when B enters transposed.
Gradients batched_gradients(const Tensor& a, const Tensor& b, bool ta, bool tb, const Tensor& dc) {
  Tensor da, db;
  if (a.requires_grad()) {
    const Shape batch = batch_of(a.sizes());
    da = ta ? batched_product(b, dc, tb, true, batch) : batched_product(dc, b, false, !tb, batch);
  }
  if (b.requires_grad()) {
    const Shape batch = batch_of(b.sizes());
    db = tb ? batched_product(dc, a, true, ta, batch) : batched_product(a, dc, !ta, false, batch);
  }
  return Gradients{da, db};
}

Tensor batched_product(const Tensor& a, const Tensor& b, bool ta, bool tb, const Shape& out_batch) {
  const BatchedProduct p = batched_shape("matmul", a, b, ta, tb);
  const Shape ba = batch_of(a.sizes()), bb = batch_of(b.sizes());
  const Shape joint = broadcast_shapes("matmul", p.batch, out_batch);
  Shape out_shape = out_batch;
  out_shape.push_back(p.m);
  out_shape.push_back(p.n);
  const std::size_t entries = shape_numel(joint);
  const bool a_whole = ba == joint, b_whole = bb == joint;
  const bool b_single = shape_numel(bb) == 1, out_single = shape_numel(out_batch) == 1;
  Tensor y = dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(out_shape);
    T* dst = kernels::values<T>(out);
    const T* pa = kernels::values<T>(a);
    const T* pb = kernels::values<T>(b);
    if (!ta && b_single && a_whole && out_batch == joint) {
      // Every A matrix times the one B: the batch stacked into rows, one gemm
      // [E m, n] = A[E m, k] @ op(B)[k, n]
      gemm_raw(false, tb, entries * p.m, p.n, p.k, pa, pb, false, dst);
      return out;
    }
    if (ta && !tb && a_whole && b_whole && out_single) {
      // The sum over the batch of A_e^T B_e, a broadcast operand's gradient: one gemm over the
      // stacked rows, [m, n] = A[E k, m]^T @ B[E k, n]
      gemm_raw(true, false, p.m, p.n, entries * p.k, pa, pb, false, dst);
      return out;
    }
    // One gemm per batch entry, at the matrices its index reads through each operand's
    // broadcast strides (0 along a broadcast axis); C entries a reduced axis maps together add up.
    const bool accumulate = shape_numel(out_batch) != entries;
    if (accumulate) std::fill(dst, dst + out.numel(), T(0));
    const std::size_t size_a = p.m * p.k, size_b = p.k * p.n, size_c = p.m * p.n;
    const kernels::Strides sc = kernels::broadcast_strides(out_batch, joint);
    const kernels::Strides sa = kernels::broadcast_strides(ba, joint),
                           sb = kernels::broadcast_strides(bb, joint);
    const kernels::Strides unit = kernels::contiguous_strides(joint);
    for (std::size_t e = 0; e < entries; ++e) {
      std::size_t ia = 0, ib = 0, ic = 0, rest = e;
      for (std::size_t d = 0; d < joint.size(); ++d) {
        const std::size_t i = rest / unit[d];
        rest -= i * unit[d];
        ia += i * sa[d];
        ib += i * sb[d];
        ic += i * sc[d];
      }
      gemm_raw(ta, tb, p.m, p.n, p.k, pa + ia * size_a, pb + ib * size_b, accumulate,
               dst + ic * size_c);
    }
    return out;
  });
  return record("matmul", std::move(y), {a, b},
                [a, b, ta, tb](const Tensor& dc) { return batched_gradients(a, b, ta, tb, dc); });
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  const bool batched = a.defined() && b.defined() && std::max(a.dim(), b.dim()) > 2 &&
                       std::min(a.dim(), b.dim()) >= 2;
  if (batched) {
    return batched_product(a, b, transpose_a, transpose_b,
                           batched_shape("matmul", a, b, transpose_a, transpose_b).batch);
  }
  const Product p = product_shape("matmul", a, b, transpose_a, transpose_b);
  // C[m, n] = op(A)[m, k] @ op(B)[k, n]
  Tensor y = dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(Shape{p.m, p.n});
    auto run = [p, transpose_a, transpose_b](const T* pa, const T* pb, T* pc) {
      gemm_raw(transpose_a, transpose_b, p.m, p.n, p.k, pa, pb, false, pc);
    };
    run(kernels::values<T>(a), kernels::values<T>(b), kernels::values<T>(out));
    kernels::record_kernel<T, T, T>("matmul", a, b, out, run);
    return out;
  });
  return record("matmul", std::move(y), {a, b}, [a, b, transpose_a, transpose_b](const Tensor& dc) {
    auto [da, db] = product_gradients(a, b, transpose_a, transpose_b, dc);
    return Gradients{da, db};
  });
}

Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2) {
  kernels::check_defined("addmm", input);
  return affine("addmm", input, mat1, mat2, false, false);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  kernels::check_defined("linear", x);
  kernels::check_defined("linear", weight);
  if (x.dim() == 1) {  // (in,) as one row (1, in), and the row back as (out,)
    return reshape(linear(reshape(x, {1, -1}), weight, bias), {-1});
  }
  // y[N, out] = x[N, in] @ W[out, in]^T (+ b[out]): the transpose is a gemm flag, not a copy
  if (!bias.defined()) return matmul(x, weight, false, true);
  return affine("linear", bias, x, weight, false, true);
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
  if (ra == 0 || rb == 0) {
    throw std::invalid_argument("matmul: both arguments need at least one dimension; a is " +
                                format_shape(a.shape()) + ", b is " + format_shape(b.shape()));
  }
  // N-D operands, as torch.matmul: a vector a is a row (1, k) and a vector b a column (k, 1),
  // their added axis removed from the result; the leading (batch) axes broadcast.
  const Tensor a2 = ra == 1 ? reshape(a, {1, -1}) : a;
  const Tensor b2 = rb == 1 ? reshape(b, {-1, 1}) : b;
  const std::size_t ka = a2.size(-1), kb = b2.size(-2);
  if (ka != kb) {
    throw std::invalid_argument("matmul: inner dimensions differ: a is " + format_shape(a.shape()) +
                                ", b is " + format_shape(b.shape()));
  }
  const BatchedProduct p = batched_shape("matmul", a2, b2, false, false);
  Tensor c = batched_product(a2, b2, false, false, p.batch);
  if (ra > 1 && rb > 1) return c;
  Shape squeezed = p.batch;
  if (ra > 1) squeezed.push_back(p.m);
  if (rb > 1) squeezed.push_back(p.n);
  return reshape(c, squeezed);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  kernels::check_same_dtype("bmm", a, b);
  if (a.dim() != 3 || b.dim() != 3 || a.size(0) != b.size(0)) {
    throw std::invalid_argument("bmm: needs two 3-D tensors with the same batch size; a is " +
                                format_shape(a.shape()) + ", b is " + format_shape(b.shape()));
  }
  if (a.size(2) != b.size(1)) {
    throw std::invalid_argument("bmm: inner dimensions differ: a is " + format_shape(a.shape()) +
                                ", b is " + format_shape(b.shape()));
  }
  return batched_product(a, b, false, false, Shape{a.size(0)});
}

}  // namespace xgrad

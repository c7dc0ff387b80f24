// The loss of a linear model with one output in one pass over its inputs: x is read a block of
// rows at a time, and while a block is in cache it gives the logits z = x w + b, the loss terms
// and, when a gradient will be needed, x^T times the loss's derivative. Unfused, the logits are
// one pass over x and the weight's gradient x^T dz another, in backward; for linear and logistic
// regression on many rows those two passes are most of the time.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <xtensor-blas/xblas.hpp>

#include "autograd/factory.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops/activation.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/loss.hpp"
#include "autograd/ops/matmul.hpp"
#include "autograd/ops/reduction.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/parallel.hpp"

namespace xgrad {

namespace {

const char* name_of(LinearLoss loss) {
  return loss == LinearLoss::mse ? "linear_loss(mse)"
                                 : "linear_loss(binary_cross_entropy_with_logits)";
}

// Rows per block, a multiple of the eight summation lanes: about 32 KB of x, so the block is still
// in the L1 cache when it is read the second time, and each gemv is small enough that OpenBLAS runs
// it on the calling thread (above 9216 elements it wakes its pool, which one block's work does not
// repay: with 256 KB blocks two threads were slower than one).
std::size_t block_rows(std::size_t features, std::size_t element_size) {
  const std::size_t rows =
      (std::size_t{32} << 10) / std::max<std::size_t>(1, features * element_size);
  return std::max<std::size_t>(8, rows / 8 * 8);
}

// y[r] += x[r, :] . w (transpose false) or w[k] += sum_r x[r, k] y[r] (transpose true), x (rows,
// features) row-major: BLAS gemv.
template <class T>
void gemv(bool transpose, std::size_t rows, std::size_t features, const T* x, const T* in, T* out) {
  using Index = xt::blas_index_t;
  if (rows == 0 || features == 0) return;
  cxxblas::gemv<Index>(cxxblas::StorageOrder::RowMajor,
                       transpose ? cxxblas::Transpose::Trans : cxxblas::Transpose::NoTrans,
                       static_cast<Index>(rows), static_cast<Index>(features), T(1), x,
                       static_cast<Index>(features), in, Index(1), T(1), out, Index(1));
}

// Binary cross-entropy on a block: the terms max(z, 0) - z t + log(1 + e^-|z|), written over z,
// and their derivatives d = s(z) - t, with e = e^-|z| shared by both (as
// binary_cross_entropy_with_logits computes them). A branch-free loop that vectorises.
template <class T>
inline __attribute__((always_inline)) void logistic_block(T* z, T* d, const T* t,
                                                          std::size_t count) {
  for (std::size_t j = 0; j < count; ++j) {
    const T e = kernels::exp_value(-std::abs(z[j]));
    d[j] = kernels::sigmoid_from(z[j], e) - t[j];
    z[j] = std::max(z[j], T(0)) - z[j] * t[j] + kernels::log1p_value(e);
  }
}

void logistic_block(double* z, double* d, const double* t, std::size_t count) {
  logistic_block<double>(z, d, t, count);
}

// In float32 the loop is all exp and log1p arithmetic: it is also compiled for AVX-512 and AVX2,
// and the widest the CPU has is chosen when the program loads (the same values: no contraction
// into fused multiply-adds, -ffp-contract=off). Not under ThreadSanitizer: the choice is made by
// a resolver that the dynamic loader runs before TSan's runtime is up, and TSan's instrumentation
// of it crashes the program at load.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void logistic_block(float* z, float* d, const float* t, std::size_t count) {
  logistic_block<float>(z, d, t, count);
}

// lanes[i mod 8] += v[i] for i = 0, ..., count - 1, in order: sum_lanes one block at a time.
template <class T>
void add_to_lanes(double* lanes, const T* v, std::size_t count) {
  std::size_t j = 0;
  for (; j + 8 <= count; j += 8) {
    for (std::size_t k = 0; k < 8; ++k) lanes[k] += static_cast<double>(v[j + k]);
  }
  for (; j < count; ++j) lanes[j % 8] += static_cast<double>(v[j]);
}

// What the one pass found: the loss's sum over rows, and when asked, the weight's and bias's
// gradients of that sum (x^T d and sum(d), d the loss's derivative per row) and d itself.
template <class T>
struct Pass {
  double total = 0;
  Tensor dweight;  // (features,): x^T d
  double dbias = 0;
  Tensor d;  // (rows, 1), when x needs a gradient
};

// The rows a parallel piece of the pass covers: eight blocks, about 256 KB of x.
std::size_t piece_rows(std::size_t features, std::size_t element_size) {
  return 8 * block_rows(features, element_size);
}

// What one piece of rows contributed: its terms and derivatives summed over eight lanes, and x^T d
// over its rows.
template <class T>
struct Partial {
  double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  double dlanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::vector<T> dweight;
};

template <class T>
Pass<T> one_pass(LinearLoss loss, const Tensor& x, const Tensor& weight, const Tensor& bias,
                 const Tensor& target, bool gradients, bool keep_d) {
  const std::size_t rows = x.size(0), features = x.size(1);
  const T* px = kernels::values<T>(x);
  const T* pw = kernels::values<T>(weight);
  const T* pt = kernels::values<T>(target);
  const T b = bias.defined() ? *kernels::values<T>(bias) : T(0);
  const bool mse = loss == LinearLoss::mse;
  Pass<T> pass;
  T* pd = nullptr;
  if (keep_d) {
    pass.d = kernels::empty<T>(Shape{rows, 1});
    pd = kernels::values<T>(pass.d);
  }
  const std::size_t block = block_rows(features, sizeof(T));
  const std::size_t piece = piece_rows(features, sizeof(T));
  // Pieces of rows are cut by size alone and their partial sums added in order below, so the
  // result is the same on any number of threads.
  std::vector<Partial<T>> partials(rows / piece + (rows % piece != 0));
  parallel_for(0, rows, piece, [&](std::size_t first, std::size_t last) {
    Partial<T>& partial = partials[first / piece];
    if (gradients) partial.dweight.assign(features, T(0));
    std::vector<T> z(std::min(block, last - first)), d(z.size());
    for (std::size_t begin = first; begin < last; begin += block) {
      const std::size_t count = std::min(block, last - begin);
      const T* xb = px + begin * features;
      const T* tb = pt + begin;
      // z = x w + b, the bias first, as addmm adds it
      std::fill(z.begin(), z.begin() + static_cast<long>(count), b);
      gemv(false, count, features, xb, pw, z.data());
      // the terms, and d = the derivative of each term by z: 2 (z - t), or s(z) - t
      // (branch-free loops, one per loss, so that they vectorise)
      T* zb = z.data();
      T* db = d.data();
      if (mse) {
        for (std::size_t j = 0; j < count; ++j) {
          const T diff = zb[j] - tb[j];
          db[j] = diff * T(2);
          zb[j] = diff * diff;
        }
      } else {
        logistic_block(zb, db, tb, count);
      }
      // sums over eight lanes, term i in lane i mod 8 (begin is a multiple of 8), as sum() adds
      add_to_lanes(partial.lanes, zb, count);
      if (gradients) {
        add_to_lanes(partial.dlanes, db, count);
        gemv(true, count, features, xb, db, partial.dweight.data());  // += x^T d, x still in cache
        if (pd) std::copy(db, db + count, pd + begin);
      }
    }
  });
  double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0}, dlanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  T* dw = nullptr;
  if (gradients) {
    pass.dweight = kernels::empty<T>(Shape{features});
    dw = kernels::values<T>(pass.dweight);
    std::fill(dw, dw + features, T(0));
  }
  for (const Partial<T>& partial : partials) {
    for (int k = 0; k < 8; ++k) {
      lanes[k] += partial.lanes[k];
      dlanes[k] += partial.dlanes[k];
    }
    for (std::size_t f = 0; dw && f < features; ++f) dw[f] += partial.dweight[f];
  }
  for (int k = 0; k < 8; ++k) {
    pass.total += lanes[k];
    pass.dbias += dlanes[k];
  }
  return pass;
}

void check(LinearLoss loss, const Tensor& x, const Tensor& weight, const Tensor& bias,
           const Tensor& target) {
  const char* op = name_of(loss);
  kernels::check_same_dtype(op, x, weight);
  kernels::check_same_dtype(op, x, target);
  if (bias.defined()) kernels::check_same_dtype(op, x, bias);
  const ShapeRef sx = x.sizes(), sw = weight.sizes(), st = target.sizes();
  const bool x_ok = sx.size() == 2;
  const std::size_t features = x_ok ? sx[1] : 0;
  const bool w_ok =
      sw.size() == 2 && ((sw[0] == features && sw[1] == 1) || (sw[0] == 1 && sw[1] == features));
  const bool b_ok = !bias.defined() || bias.numel() == 1;
  const bool t_ok = x_ok && st.size() == 2 && st[0] == sx[0] && st[1] == 1;
  if (!x_ok || !w_ok || !b_ok || !t_ok) {
    throw std::invalid_argument(
        std::string(op) + ": need x (N, in), weight (in, 1) or (1, in), bias of one element and " +
        "target (N, 1); got x " + format_shape(sx) + ", weight " + format_shape(sw) + ", bias " +
        (bias.defined() ? format_shape(bias.sizes()) : std::string("undefined")) + ", target " +
        format_shape(st));
  }
}

}  // namespace

Tensor linear_loss(LinearLoss loss, const Tensor& x, const Tensor& weight, const Tensor& bias,
                   const Tensor& target, Reduction reduction) {
  const char* op = name_of(loss);
  kernels::check_defined(op, x);
  kernels::check_defined(op, weight);
  kernels::check_defined(op, target);
  check(loss, x, weight, bias, target);
  if (reduction == Reduction::none) {
    throw std::invalid_argument(std::string(op) +
                                ": reduction none has no one-pass form; use addmm and the loss");
  }
  const std::size_t rows = x.size(0);
  if (reduction == Reduction::mean && rows == 0) {
    throw std::invalid_argument(std::string(op) + ": mean over an empty input of shape " +
                                format_shape(target.sizes()));
  }
  const double n = reduction == Reduction::mean ? static_cast<double>(rows) : 1.0;
  const bool column = weight.size(1) == 1;  // (in, 1) as addmm takes it, else (1, in) as linear
  const bool recording = GradMode::is_enabled();
  const bool gradients =
      recording && (weight.requires_grad() || (bias.defined() && bias.requires_grad()));
  const bool keep_d = recording && x.requires_grad();

  Tensor y, dweight, d;
  double dbias = 0;
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Pass<T> pass = one_pass<T>(loss, x, weight, bias, target, gradients, keep_d);
    y = kernels::empty<T>(Shape{});
    *kernels::values<T>(y) = static_cast<T>(pass.total) / static_cast<T>(n);
    dweight = pass.dweight;
    dbias = pass.dbias;
    d = pass.d;
  });

  // The formulas backward computes, in tensor ops when a graph is recorded:
  //   z = x w + b, d = 2 (z - t) or s(z) - t, c = dy / n,
  //   dw = (x^T d) c, db = sum(d) c, dx = (d c) w^T, dt = -2 (z - t) c or -z c
  return detail::record_optional(
      op, std::move(y), {x, weight, bias, target},
      [loss, x, weight, bias, target, n, column, dweight, dbias, d](const Tensor& dy) {
        const bool mse = loss == LinearLoss::mse;
        const Tensor c = dy / n;
        // the one pass kept x^T d, sum(d) and d: without a graph, backward only scales
        // them by c
        const bool kept = !GradMode::is_enabled() && (dweight.defined() || d.defined());
        Tensor z;  // the logits, recomputed where a formula needs them
        if (!kept || target.requires_grad()) {
          z = bias.defined() ? addmm(bias, x, column ? weight : transpose(weight))
                             : matmul(x, weight, false, !column);
        }
        Tensor dx, dw, db, dt;
        if (kept) {
          const double cv = c.item();
          if (weight.requires_grad()) dw = reshape(mul(dweight, cv), weight.shape());
          if (bias.defined() && bias.requires_grad()) {
            db = dispatch(x.dtype(), [&](auto tag) {
              using T = decltype(tag);
              const T value = static_cast<T>(dbias) * static_cast<T>(cv);
              return full(bias.shape(), static_cast<double>(value), x.dtype());
            });
          }
          if (x.requires_grad()) dx = matmul(mul(d, cv), weight, false, column);
        } else {
          const Tensor dz = mse ? mul(sub(z, target), 2.0) : sub(sigmoid(z), target);
          if (weight.requires_grad()) {
            dw = column ? mul(matmul(x, dz, true, false), c) : mul(matmul(dz, x, true, false), c);
          }
          if (bias.defined() && bias.requires_grad()) db = reshape(mul(sum(dz), c), bias.shape());
          if (x.requires_grad()) dx = matmul(mul(dz, c), weight, false, column);
        }
        // mse: -2 (z - t) c; binary cross-entropy: -z c
        if (target.requires_grad()) dt = mse ? mul(mul(sub(z, target), -2.0), c) : mul(neg(z), c);
        return Gradients{dx, dw, db, dt};
      });
}

}  // namespace xgrad

// Convolutions as im2col + gemm. Three ops, closed under differentiation, carry every order of
// derivative (as PyTorch's convolution_backward and its double backward):
//   y = conv(x, w):              dx = conv_input_grad(dy, w),  dw = conv_weight_grad(x, dy)
//   dx = conv_input_grad(dy, w): d(dy) = conv(G, w),           dw = conv_weight_grad(G, dy)
//   dw = conv_weight_grad(x, dy): dx = conv_input_grad(dy, H), d(dy) = conv(x, H)
// Each is bilinear, and <dy, conv(x, w)> = <conv_input_grad(dy, w), x>
// = <conv_weight_grad(x, dy), w>. conv1d is conv2d on a height of one.
#include "autograd/ops/conv.hpp"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <xtensor-blas/xblas.hpp>

#include "autograd/node.hpp"
#include "autograd/ops/conv_geometry.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/reduction.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/parallel.hpp"
#include "autograd/threads.hpp"

namespace xgrad {

namespace {

using detail::ConvGeometry;

// How a product's OpenBLAS threads are chosen: by the product's size (SmallProductScope), or
// already held at one by the caller (blocks of samples on xgrad's pool, for_each_block).
enum class Blas { sized, one_thread };

// C[m, n] = beta C + op(A)[m, k] @ op(B)[k, n] on row-major blocks with leading dimensions.
template <class T>
void gemm(Blas blas, bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a,
          std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
  using cxxblas::StorageOrder;
  using cxxblas::Transpose;
  using Index = xt::blas_index_t;
  if (m == 0 || n == 0) return;
  const auto i = [](std::size_t v) { return static_cast<Index>(v); };
  const auto trans = [](bool t) { return t ? Transpose::Trans : Transpose::NoTrans; };
  const auto product = [&] {
    cxxblas::gemm<Index>(StorageOrder::RowMajor, trans(ta), trans(tb), i(m), i(n), i(k), T(1), a,
                         i(lda), b, i(ldb), beta, c, i(ldc));
  };
  if (blas == Blas::one_thread) {
    product();
    return;
  }
  const detail::SmallProductScope one_thread_if_small(m, n, k);
  product();
}

// Scratch buffers reused across calls on this thread: the columns, a staged block of outputs and
// a zero-bordered plane.
template <class T>
std::vector<T>& scratch(int which) {
  thread_local std::vector<T> buffers[3];
  return buffers[which];
}

// Samples per gemm: enough that one product has about 2048 columns, so small images (8x8) do not
// pay a BLAS call per sample. From 1024 output positions a sample is a block by itself: a product
// that wide is already efficient, and a block of one needs no staging copies between its layout
// and the gemm's (conv2d_large, 32 x 32: 1.14x faster on one thread than with two per block).
std::size_t block_size(const ConvGeometry& g) {
  if (g.out_plane() >= 1024) return 1;
  return std::max<std::size_t>(1, std::min(g.n, 2048 / g.out_plane()));
}

std::size_t block_count(const ConvGeometry& g) {
  const std::size_t block = block_size(g);
  return (g.n + block - 1) / block;
}

// Multiply-adds of one block's products from which a convolution with several blocks runs them on
// xgrad's pool: about 0.05 ms of single-threaded sgemm, against microseconds to wake a pool thread.
constexpr double kPoolMinBlockMultiplyAdds = 2.0 * 1024 * 1024;

// Whether the blocks of samples run on xgrad's pool, each block's products on one OpenBLAS thread,
// rather than one after the other with OpenBLAS splitting each product. Decided by the shapes
// alone, never by the thread count, so the arithmetic (and the bits) are the same on any number of
// threads. Splitting samples makes all of the work parallel: im2col, col2im and the staging copies
// used to run on one thread between OpenBLAS's products while its workers waited, and each
// product paid a hand-over to those workers. conv2d_large at 2 threads ran at 37-49% of sgemm
// alone on the same products that way, and at 83-101% now (docs/benchmarks.md, Round 7).
bool blocks_on_pool(const ConvGeometry& g) {
  const double per_block = static_cast<double>(g.o) * static_cast<double>(g.ckk()) *
                           static_cast<double>(block_size(g) * g.out_plane());
  return block_count(g) > 1 && per_block >= kPoolMinBlockMultiplyAdds;
}

// Calls f(blas, piece, n0, b, cols, staged) for each block of b samples from sample n0, with this
// thread's scratch sized for a block: the columns, and the staging buffer when blocks hold more
// than one sample. The blocks are cut into pieces of `grain` (piece = index of the block's piece),
// run on xgrad's pool with OpenBLAS held at one thread (Blas::one_thread) when blocks_on_pool(g),
// else all on this thread as one piece (Blas::sized).
template <class T, class F>
void for_each_block(const ConvGeometry& g, std::size_t grain, F f) {
  const std::size_t block = block_size(g), blocks = block_count(g);
  const auto run = [&](Blas blas, std::size_t first, std::size_t last) {
    std::vector<T>& cols = scratch<T>(0);  // this thread's
    std::vector<T>& staged = scratch<T>(1);
    cols.resize(g.groups * g.ckk() * block * g.out_plane());
    if (block > 1) staged.resize(g.o * block * g.out_plane());
    for (std::size_t n0 = first * block; n0 < std::min(g.n, last * block); n0 += block) {
      f(blas, first / grain, n0, std::min(block, g.n - n0), cols.data(), staged.data());
    }
  };
  if (!blocks_on_pool(g)) {
    run(Blas::sized, 0, blocks);
    return;
  }
  // A scope of no multiply-adds is a small product: OpenBLAS runs on one thread while it lives,
  // so the pool's threads do not both call into OpenBLAS's own pool.
  const detail::SmallProductScope one_blas_thread(0, 0, 0);
  parallel_for(0, blocks, grain,
               [&](std::size_t first, std::size_t last) { run(Blas::one_thread, first, last); });
}

// The outputs [lo, hi) of `count` whose input x0 + o * step lies inside [0, extent).
struct Range {
  std::size_t lo, hi;
};
Range valid_range(long x0, std::size_t step, std::size_t extent, std::size_t count) {
  const long s = static_cast<long>(step), e = static_cast<long>(extent);
  const auto clip = [count](long v) {
    return static_cast<std::size_t>(std::clamp<long>(v, 0, static_cast<long>(count)));
  };
  if (s == 1) {  // no division: this runs once per row of the columns
    const std::size_t l = clip(-x0), h = clip(e - x0);
    return {l, std::max(l, h)};
  }
  const long lo = x0 >= 0 ? 0 : (-x0 + s - 1) / s;
  const long hi = x0 >= e ? 0 : (e - x0 + s - 1) / s;
  const std::size_t l = clip(lo), h = clip(hi);
  return {l, std::max(l, h)};
}

// Visits the (row of the columns, output row oy) pairs of one sample's im2col matrix: for each,
// f(column segment of ow outputs, input row or null when it is padding, x0, ow range inside).
// cols rows are (channel, i, j), columns (oy, ox); ld is the distance between rows.
template <class T, class X, class F>
void for_each_patch_row(X* x, const ConvGeometry& g, std::size_t ld, T* cols, F f) {
  for (std::size_t ci = 0; ci < g.c; ++ci) {
    X* plane = x + ci * g.h * g.w;
    for (std::size_t i = 0; i < g.kh; ++i) {
      for (std::size_t j = 0; j < g.kw; ++j) {
        T* row = cols + ((ci * g.kh + i) * g.kw + j) * ld;
        const long x0 = static_cast<long>(j * g.dil_w) - static_cast<long>(g.pad_w);
        const Range r = valid_range(x0, g.stride_w, g.w, g.ow);
        for (std::size_t oy = 0; oy < g.oh; ++oy) {
          const long iy =
              static_cast<long>(oy * g.stride_h + i * g.dil_h) - static_cast<long>(g.pad_h);
          X* in = iy < 0 || iy >= static_cast<long>(g.h) ? nullptr : plane + iy * g.w;
          f(row + oy * g.ow, in, x0, r);
        }
      }
    }
  }
}

// The rows of one channel's im2col from its zero-bordered plane (pw wide): row (i, j) at oy is
// ow values from bordered row oy + i, column j. OW is ow when fixed (4, 8: small images), so each
// segment is a few vector moves rather than a memcpy call.
template <std::size_t OW, class T>
void copy_patch_rows(const T* bordered, std::size_t pw, const ConvGeometry& g, std::size_t ld,
                     T* rows) {
  const std::size_t ow = OW ? OW : g.ow;
  for (std::size_t i = 0; i < g.kh; ++i) {
    for (std::size_t j = 0; j < g.kw; ++j, rows += ld) {
      for (std::size_t oy = 0; oy < g.oh; ++oy) {
        const T* src = bordered + (oy + i) * pw + j;
        T* out = rows + oy * ow;
        for (std::size_t ox = 0; ox < ow; ++ox) out[ox] = src[ox];
      }
    }
  }
}

// im2col of a small image at stride and dilation 1: each channel is first copied into a plane with
// its zero border, (oh + kh - 1, ow + kw - 1), so no row of the columns needs a bounds test.
template <class T>
void im2col_bordered(const T* x, const ConvGeometry& g, std::size_t ld, T* cols) {
  const std::size_t ph = g.oh + g.kh - 1, pw = g.ow + g.kw - 1;
  std::vector<T>& bordered = scratch<T>(2);
  bordered.assign(ph * pw, T(0));
  for (std::size_t ci = 0; ci < g.c; ++ci) {
    const T* plane = x + ci * g.h * g.w;
    // bordered[r, q] = x[r - pad_h, q - pad_w]; the border stays zero from the assign above
    for (std::size_t r = g.pad_h; r < std::min(ph, g.pad_h + g.h); ++r) {
      const std::size_t n = std::min(g.w, pw - g.pad_w);
      std::copy_n(plane + (r - g.pad_h) * g.w, n, bordered.data() + r * pw + g.pad_w);
    }
    T* rows = cols + ci * g.kh * g.kw * ld;
    if (g.ow == 4) {
      copy_patch_rows<4>(bordered.data(), pw, g, ld, rows);
    } else if (g.ow == 8) {
      copy_patch_rows<8>(bordered.data(), pw, g, ld, rows);
    } else {
      copy_patch_rows<0>(bordered.data(), pw, g, ld, rows);
    }
  }
}

// Small images at stride and dilation 1 go through a zero-bordered plane (im2col_bordered).
bool bordered_fits(const ConvGeometry& g) {
  return g.stride_h == 1 && g.stride_w == 1 && g.dil_h == 1 && g.dil_w == 1 && g.ow <= 16;
}

// The adjoint of copy_patch_rows: the rows added into the bordered plane.
template <std::size_t OW, class T>
void add_patch_rows(const T* rows, std::size_t pw, const ConvGeometry& g, std::size_t ld,
                    T* bordered) {
  const std::size_t ow = OW ? OW : g.ow;
  for (std::size_t i = 0; i < g.kh; ++i) {
    for (std::size_t j = 0; j < g.kw; ++j, rows += ld) {
      for (std::size_t oy = 0; oy < g.oh; ++oy) {
        T* dst = bordered + (oy + i) * pw + j;
        const T* col = rows + oy * ow;
        for (std::size_t ox = 0; ox < ow; ++ox) dst[ox] += col[ox];
      }
    }
  }
}

// col2im through a bordered plane per channel: the rows are added in without bounds tests, in the
// same order as col2im's, then the interior is added to dx and the border (padding) dropped.
template <class T>
void col2im_bordered(const T* cols, const ConvGeometry& g, std::size_t ld, T* dx) {
  const std::size_t ph = g.oh + g.kh - 1, pw = g.ow + g.kw - 1;
  std::vector<T>& bordered = scratch<T>(2);
  for (std::size_t ci = 0; ci < g.c; ++ci) {
    bordered.assign(ph * pw, T(0));
    const T* rows = cols + ci * g.kh * g.kw * ld;
    if (g.ow == 4) {
      add_patch_rows<4>(rows, pw, g, ld, bordered.data());
    } else if (g.ow == 8) {
      add_patch_rows<8>(rows, pw, g, ld, bordered.data());
    } else {
      add_patch_rows<0>(rows, pw, g, ld, bordered.data());
    }
    T* plane = dx + ci * g.h * g.w;
    for (std::size_t y = 0; y < g.h; ++y) {
      const T* src = bordered.data() + (y + g.pad_h) * pw + g.pad_w;
      for (std::size_t x = 0; x < g.w; ++x) plane[y * g.w + x] += src[x];
    }
  }
}

// cols[(c, i, j), (oy, ox)] = x[c, oy s + i d - p, ox s + j d - p], 0 in the padding.
template <class T>
void im2col(const T* x, const ConvGeometry& g, std::size_t ld, T* cols) {
  if (bordered_fits(g)) {
    im2col_bordered(x, g, ld, cols);
    return;
  }
  const std::size_t step = g.stride_w;
  // Rows this short (small images) cost more in memcpy/memset calls than in copying.
  const bool short_rows = step == 1 && g.ow <= 16;
  for_each_patch_row(x, g, ld, cols, [&](T* out, const T* in, long x0, Range r) {
    if (!in || r.lo == r.hi) {  // a row of padding, or every tap of this row falls in it
      std::fill(out, out + g.ow, T(0));
      return;
    }
    if (short_rows) {
      for (std::size_t ox = 0; ox < g.ow; ++ox) {
        out[ox] = ox >= r.lo && ox < r.hi ? in[x0 + static_cast<long>(ox)] : T(0);
      }
      return;
    }
    std::fill(out, out + r.lo, T(0));
    const T* src = in + x0 + static_cast<long>(r.lo * step);
    if (step == 1) {
      std::copy(src, src + (r.hi - r.lo), out + r.lo);
    } else {
      for (std::size_t ox = r.lo; ox < r.hi; ++ox) out[ox] = src[(ox - r.lo) * step];
    }
    std::fill(out + r.hi, out + g.ow, T(0));
  });
}

// The adjoint of im2col: dx[c, y, x] += every column entry that was read from it.
template <class T>
void col2im(const T* cols, const ConvGeometry& g, std::size_t ld, T* dx) {
  if (bordered_fits(g)) {
    col2im_bordered(cols, g, ld, dx);
    return;
  }
  const std::size_t step = g.stride_w;
  for_each_patch_row(dx, g, ld, cols, [&](const T* col, T* in, long x0, Range r) {
    if (!in || r.lo == r.hi) return;
    T* dst = in + x0 + static_cast<long>(r.lo * step);
    for (std::size_t ox = r.lo; ox < r.hi; ++ox) dst[(ox - r.lo) * step] += col[ox];
  });
}

// Between the layout of a block of b samples (b, o, ohw) and a gemm's (o, b ohw).
template <class T>
void stage(const T* samples, std::size_t b, std::size_t o, std::size_t ohw, T* staged) {
  for (std::size_t s = 0; s < b; ++s)
    for (std::size_t oc = 0; oc < o; ++oc)
      std::copy_n(samples + (s * o + oc) * ohw, ohw, staged + oc * b * ohw + s * ohw);
}
template <class T>
void unstage(const T* staged, std::size_t b, std::size_t o, std::size_t ohw, T* samples) {
  for (std::size_t s = 0; s < b; ++s)
    for (std::size_t oc = 0; oc < o; ++oc)
      std::copy_n(staged + oc * b * ohw + s * ohw, ohw, samples + (s * o + oc) * ohw);
}

// y (n, o, ohw) = bias + W (o, ckk) @ im2col(x), one gemm per group and block of samples.
template <class T>
void conv_values(const T* x, const T* w, const T* bias, const ConvGeometry& g, T* y) {
  const std::size_t ohw = g.out_plane(), og = g.o / g.groups, ckk = g.ckk();
  for_each_block<T>(g, 1,
                    [&](Blas blas, std::size_t, std::size_t n0, std::size_t b, T* cols, T* staged) {
                      const std::size_t ld = b * ohw;
                      for (std::size_t s = 0; s < b; ++s) {
                        im2col(x + (n0 + s) * g.c * g.h * g.w, g, ld, cols + s * ohw);
                      }
                      T* out = b == 1 ? y + n0 * g.o * ohw : staged;  // [o, ld]
                      if (bias) {
                        for (std::size_t oc = 0; oc < g.o; ++oc)
                          std::fill_n(out + oc * ld, ld, bias[oc]);
                      }
                      for (std::size_t gi = 0; gi < g.groups; ++gi) {
                        // out[og, ld] (+)= W_g[og, ckk] @ cols_g[ckk, ld]
                        gemm(blas, false, false, og, ld, ckk, w + gi * og * ckk, ckk,
                             cols + gi * ckk * ld, ld, bias ? T(1) : T(0), out + gi * og * ld, ld);
                      }
                      if (b > 1) unstage(out, b, g.o, ohw, y + n0 * g.o * ohw);
                    });
}

// dx (n, c, h, w) = col2im(W^T (ckk, o) @ dy), per group and block.
template <class T>
void input_grad_values(const T* dy, const T* w, const ConvGeometry& g, T* dx) {
  const std::size_t ohw = g.out_plane(), og = g.o / g.groups, ckk = g.ckk();
  const std::size_t sample = g.c * g.h * g.w;
  for_each_block<T>(g, 1,
                    [&](Blas blas, std::size_t, std::size_t n0, std::size_t b, T* cols, T* staged) {
                      const std::size_t ld = b * ohw;
                      const T* d = dy + n0 * g.o * ohw;
                      if (b > 1) {
                        stage(d, b, g.o, ohw, staged);
                        d = staged;
                      }
                      for (std::size_t gi = 0; gi < g.groups; ++gi) {
                        // cols_g[ckk, ld] = W_g[og, ckk]^T @ dy_g[og, ld]
                        gemm(blas, true, false, ckk, ld, og, w + gi * og * ckk, ckk,
                             d + gi * og * ld, ld, T(0), cols + gi * ckk * ld, ld);
                      }
                      std::fill_n(dx + n0 * sample, b * sample, T(0));
                      for (std::size_t s = 0; s < b; ++s)
                        col2im(cols + s * ohw, g, ld, dx + (n0 + s) * sample);
                    });
}

// Blocks per partial sum of the weight gradient when the blocks run on the pool: at most 16
// partial sums, which the pool's threads fill at once and which are then added in order. Fixed
// by the shapes, so the sum's bits do not depend on the thread count.
std::size_t weight_grad_grain(const ConvGeometry& g) {
  constexpr std::size_t kMaxPartials = 16;
  return blocks_on_pool(g) ? (block_count(g) + kMaxPartials - 1) / kMaxPartials : block_count(g);
}

// dw (o, ckk) = sum over samples of dy (o, ohw) @ im2col(x)^T, accumulated by the gemm (beta 1):
// into dw itself, or on the pool into one partial sum per `weight_grad_grain` blocks, then added.
template <class T>
void weight_grad_values(const T* x, const T* dy, const ConvGeometry& g, T* dw) {
  const std::size_t ohw = g.out_plane(), og = g.o / g.groups, ckk = g.ckk();
  const std::size_t grain = weight_grad_grain(g), size = g.o * ckk;
  const std::size_t partials = (block_count(g) + grain - 1) / grain;
  std::vector<T> partial_sums(partials > 1 ? partials * size : 0);  // zeros
  if (partials == 1) std::fill_n(dw, size, T(0));
  for_each_block<T>(
      g, grain,
      [&](Blas blas, std::size_t piece, std::size_t n0, std::size_t b, T* cols, T* staged) {
        const std::size_t ld = b * ohw;
        T* sum = partials > 1 ? partial_sums.data() + piece * size : dw;
        for (std::size_t s = 0; s < b; ++s) {
          im2col(x + (n0 + s) * g.c * g.h * g.w, g, ld, cols + s * ohw);
        }
        const T* d = dy + n0 * g.o * ohw;
        if (b > 1) {
          stage(d, b, g.o, ohw, staged);
          d = staged;
        }
        for (std::size_t gi = 0; gi < g.groups; ++gi) {
          // dW_g[og, ckk] += dy_g[og, ld] @ cols_g[ckk, ld]^T
          gemm(blas, false, true, og, ckk, ld, d + gi * og * ld, ld, cols + gi * ckk * ld, ld, T(1),
               sum + gi * og * ckk, ckk);
        }
      });
  if (partials > 1) {
    std::copy_n(partial_sums.data(), size, dw);
    for (std::size_t p = 1; p < partials; ++p) {
      const T* part = partial_sums.data() + p * size;
      for (std::size_t i = 0; i < size; ++i) dw[i] += part[i];
    }
  }
}

Tensor conv_input_grad(const Tensor& dy, const Tensor& w, const ConvGeometry& g);
Tensor conv_weight_grad(const Tensor& x, const Tensor& dy, const ConvGeometry& g);

// db[o] = dy summed over samples and positions: the bias gradient, one pass over dy's planes.
Tensor conv_bias_grad(const Tensor& dy, const ConvGeometry& g) {
  Tensor db = dispatch(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(Shape{g.o});
    const std::size_t ohw = g.out_plane();
    const T* d = kernels::values<T>(dy);
    T* total = kernels::values<T>(out);
    std::fill_n(total, g.o, T(0));
    for (std::size_t s = 0; s < g.n; ++s) {
      for (std::size_t oc = 0; oc < g.o; ++oc, d += ohw) {
        T plane = 0;
        for (std::size_t k = 0; k < ohw; ++k) plane += d[k];
        total[oc] += plane;
      }
    }
    return out;
  });
  const Shape dy_shape = g.output_shape();
  return record("conv2d_bias_grad", db, {dy}, [dy_shape, g](const Tensor& grad) {
    // d(db[o])/d(dy[n, o, y, x]) = 1: the gradient broadcast back over n, y, x
    return Gradients{broadcast_to(reshape(grad, Shape{1, g.o, 1, 1}), dy_shape)};
  });
}

bool needs_grad(const Tensor& t) {
  return t.defined() && t.requires_grad();
}

// y = conv(x, w) + b, b optional.
Tensor conv(const Tensor& x, const Tensor& w, const Tensor& b, const ConvGeometry& g) {
  Tensor y = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(g.output_shape());
    conv_values(kernels::values<T>(x), kernels::values<T>(w),
                b.defined() ? kernels::values<T>(b) : nullptr, g, kernels::values<T>(out));
    return out;
  });
  return detail::record_optional("conv2d", std::move(y), {x, w, b}, [x, w, b, g](const Tensor& dy) {
    Tensor dx = needs_grad(x) ? conv_input_grad(dy, w, g) : Tensor();
    Tensor dw = needs_grad(w) ? conv_weight_grad(x, dy, g) : Tensor();
    Tensor db = needs_grad(b) ? conv_bias_grad(dy, g) : Tensor();
    return Gradients{dx, dw, db};
  });
}

Tensor conv_input_grad(const Tensor& dy, const Tensor& w, const ConvGeometry& g) {
  Tensor dx = dispatch(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(g.input_shape());
    input_grad_values(kernels::values<T>(dy), kernels::values<T>(w), g, kernels::values<T>(out));
    return out;
  });
  return record("conv2d_input_grad", std::move(dx), {dy, w}, [dy, w, g](const Tensor& grad) {
    // Linear in dy and in w: d(dy) = conv(G, w), dw = conv_weight_grad(G, dy)
    Tensor ddy = needs_grad(dy) ? conv(grad, w, Tensor(), g) : Tensor();
    Tensor dw = needs_grad(w) ? conv_weight_grad(grad, dy, g) : Tensor();
    return Gradients{ddy, dw};
  });
}

Tensor conv_weight_grad(const Tensor& x, const Tensor& dy, const ConvGeometry& g) {
  Tensor dw = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(g.weight_shape());
    weight_grad_values(kernels::values<T>(x), kernels::values<T>(dy), g, kernels::values<T>(out));
    return out;
  });
  return record("conv2d_weight_grad", std::move(dw), {x, dy}, [x, dy, g](const Tensor& grad) {
    // Linear in x and in dy: dx = conv_input_grad(dy, H), d(dy) = conv(x, H)
    Tensor dx = needs_grad(x) ? conv_input_grad(dy, grad, g) : Tensor();
    Tensor ddy = needs_grad(dy) ? conv(x, grad, Tensor(), g) : Tensor();
    return Gradients{dx, ddy};
  });
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Size2 stride,
              Padding padding, Size2 dilation, int groups) {
  const detail::ConvArguments args{"conv2d",
                                   2,
                                   {stride.h, stride.w},
                                   {padding.h, padding.w},
                                   padding.mode,
                                   {dilation.h, dilation.w},
                                   groups};
  const ConvGeometry g = detail::conv_geometry(args, x, weight, bias);
  if (x.dim() == 3) {  // one sample (C, H, W)
    const Tensor y = conv(reshape(x, Shape{1, g.c, g.h, g.w}), weight, bias, g);
    return reshape(y, Shape{g.o, g.oh, g.ow});
  }
  return conv(x, weight, bias, g);
}

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride,
              Padding padding, int dilation, int groups) {
  if (padding.mode.empty() && padding.h != padding.w) {
    throw std::invalid_argument("conv1d: padding has one size; got (" + std::to_string(padding.h) +
                                ", " + std::to_string(padding.w) + ")");
  }
  const detail::ConvArguments args{"conv1d",      1,     {1, stride}, {0, padding.w}, padding.mode,
                                   {1, dilation}, groups};
  const ConvGeometry g = detail::conv_geometry(args, x, weight, bias);
  // (N, C, L) as (N, C, 1, L) and the weight (O, C / groups, k) as (O, C / groups, 1, k)
  const Tensor x4 = reshape(x, Shape{g.n, g.c, 1, g.w});
  const Tensor w4 = reshape(weight, Shape{g.o, g.c / g.groups, 1, g.kw});
  const Tensor y = conv(x4, w4, bias, g);
  return x.dim() == 2 ? reshape(y, Shape{g.o, g.ow}) : reshape(y, Shape{g.n, g.o, g.ow});
}

}  // namespace xgrad

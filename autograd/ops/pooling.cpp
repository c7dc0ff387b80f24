// Pooling. Each kind is two linear ops that are each other's backward, so every order of
// derivative is a pooling op again:
//   max: y = gather(x, argmax)    <->  dx = scatter(dy, argmax), argmax fixed by the forward
//   avg: y = A x (window means)   <->  dx = A^T dy
// 1-D pooling is 2-D pooling on a height of one. Every plane (n, c) is pooled alone, so the ops
// see x as (planes, H, W) whatever its rank.
#include "autograd/ops/pooling.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/node.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/pool_geometry.hpp"

namespace xgrad {

namespace {

using detail::PoolGeometry;

// The positions a max pool picked, per output element (flat in the input plane), with the
// extents needed to move values between output and input.
struct Picks {
  // Flat indices into a plane, 32 bits (max_pool checks the plane fits) and uninitialised: this
  // buffer is allocated on every call, and a smaller one is cheaper on the allocator.
  std::unique_ptr<std::int32_t[]> index;
  std::size_t planes, plane_in, plane_out;
  Shape input_shape, output_shape;
};
using PicksPtr = std::shared_ptr<const Picks>;

Tensor scatter_picks(const Tensor& dy, const PicksPtr& picks);

// Records y = g[p, index[p, k]] as a gather of g, whose backward is the scatter.
Tensor record_gather(const Tensor& y, const Tensor& g, const PicksPtr& picks) {
  return record("max_pool_gather", std::move(y), {g}, [picks](const Tensor& dy) {
    return Gradients{scatter_picks(dy, picks)};  // a gather's adjoint is a scatter-add
  });
}

// y[p, k] = g[p, index[p, k]]: the gradient of scatter_picks.
Tensor gather_picks(const Tensor& g, const PicksPtr& picks) {
  Tensor y = dispatch(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(picks->output_shape);
    const T* src = kernels::values<T>(g);
    T* dst = kernels::values<T>(out);
    const std::int32_t* index = picks->index.get();
    for (std::size_t p = 0; p < picks->planes; ++p) {
      const T* plane = src + p * picks->plane_in;
      for (std::size_t k = p * picks->plane_out; k < (p + 1) * picks->plane_out; ++k) {
        dst[k] = plane[index[k]];
      }
    }
    return out;
  });
  return record_gather(y, g, picks);
}

// dx[p, index[p, k]] += dy[p, k], zero elsewhere: max_pool's backward.
Tensor scatter_picks(const Tensor& dy, const PicksPtr& picks) {
  Tensor dx = dispatch(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(picks->input_shape);
    const T* src = kernels::values<T>(dy);
    T* dst = kernels::values<T>(out);
    std::fill_n(dst, picks->planes * picks->plane_in, T(0));
    const std::int32_t* index = picks->index.get();
    for (std::size_t p = 0; p < picks->planes; ++p) {
      T* plane = dst + p * picks->plane_in;
      for (std::size_t k = p * picks->plane_out; k < (p + 1) * picks->plane_out; ++k) {
        plane[index[k]] += src[k];
      }
    }
    return out;
  });
  return record("max_pool_scatter", std::move(dx), {dy},
                [picks](const Tensor& grad) { return Gradients{gather_picks(grad, picks)}; });
}

// True when every window lies inside the plane with no gaps: no padding, no dilation, and the
// last window ends inside (ceil_mode may add one that does not).
bool windows_inside(const PoolGeometry& g) {
  return g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1 && (g.oh - 1) * g.sh + g.kh <= g.h &&
         (g.ow - 1) * g.sw + g.kw <= g.w;
}

// take ? a : b on the bits, with no branch for the compiler to choose.
template <class T>
inline T select_bits(bool take, T a, T b) {
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  Bits ua, ub;
  std::memcpy(&ua, &a, sizeof(T));
  std::memcpy(&ub, &b, sizeof(T));
  const Bits mask = Bits(0) - static_cast<Bits>(take);
  const Bits r = (ua & mask) | (ub & ~mask);
  T out;
  std::memcpy(&out, &r, sizeof(T));
  return out;
}

// Folds the value at flat position k into the running maximum (best, at): it wins when larger, or
// when it is NaN (PyTorch's rule). Masks, not a branch: on real data which tap wins is
// unpredictable, and a mispredicted branch per tap costs more than the rest of the pool.
template <class T>
inline void fold_max(const T* plane, long k, T& best, long& at) {
  const T v = plane[k];
  const bool take = (v > best) | (v != v);  // v != v: NaN
  best = select_bits(take, v, best);
  const long mask = -static_cast<long>(take);
  at = (k & mask) | (at & ~mask);
}

// Every window of one plane, all inside it; KH and KW are the kernel when fixed (2x2), else 0
// and the loop bounds come from g.
template <std::size_t KH, std::size_t KW, class T>
void plane_maxima(const T* plane, const PoolGeometry& g, std::int32_t* index, T* y) {
  const std::size_t kh = KH ? KH : g.kh, kw = KW ? KW : g.kw;
  const long w = static_cast<long>(g.w);
  for (std::size_t oy = 0; oy < g.oh; ++oy) {
    for (std::size_t ox = 0; ox < g.ow; ++ox) {
      const long corner = static_cast<long>(oy * g.sh) * w + static_cast<long>(ox * g.sw);
      T best = plane[corner];
      long at = corner;
      for (std::size_t i = 0; i < kh; ++i) {
        for (std::size_t j = 0; j < kw; ++j) {
          fold_max(plane, corner + static_cast<long>(i) * w + static_cast<long>(j), best, at);
        }
      }
      *index++ = static_cast<std::int32_t>(at);
      *y++ = best;
    }
  }
}

// The first maximum of each window, in scan order (rows, then columns), NaN winning as in
// PyTorch's kernel: its flat index in the input plane, and the maximum itself.
template <class T>
void find_maxima(const T* x, const PoolGeometry& g, std::int32_t* index, T* y) {
  const long w = static_cast<long>(g.w);
  if (windows_inside(g)) {  // the common case, with no bounds to check
    const std::size_t out = g.oh * g.ow;
    for (std::size_t p = 0; p < g.planes; ++p) {
      const T* plane = x + p * g.h * g.w;
      if (g.kh == 2 && g.kw == 2) {
        plane_maxima<2, 2>(plane, g, index + p * out, y + p * out);
      } else {
        plane_maxima<0, 0>(plane, g, index + p * out, y + p * out);
      }
    }
    return;
  }
  for (std::size_t p = 0; p < g.planes; ++p) {
    const T* plane = x + p * g.h * g.w;
    for (std::size_t oy = 0; oy < g.oh; ++oy) {
      for (std::size_t ox = 0; ox < g.ow; ++ox) {
        T best = -std::numeric_limits<T>::infinity();
        std::int64_t at = -1;
        for (std::size_t i = 0; i < g.kh; ++i) {
          const long iy = static_cast<long>(oy * g.sh + i * g.dh) - static_cast<long>(g.ph);
          if (iy < 0 || iy >= static_cast<long>(g.h)) continue;
          for (std::size_t j = 0; j < g.kw; ++j) {
            const long ix = static_cast<long>(ox * g.sw + j * g.dw) - static_cast<long>(g.pw);
            if (ix < 0 || ix >= w) continue;
            const T v = plane[iy * w + ix];
            if (at < 0 || v > best || std::isnan(v)) {
              best = v;
              at = iy * w + ix;
            }
          }
        }
        *index++ = static_cast<std::int32_t>(at);
        *y++ = best;
      }
    }
  }
}

// The pooled values and, when asked for, the indices of the maxima (in x's dtype).
std::pair<Tensor, Tensor> max_pool(const detail::PoolArguments& args, const Tensor& x,
                                   bool with_indices) {
  const PoolGeometry g = detail::pool_geometry(args, x);
  auto picks = std::make_shared<Picks>();
  if (g.h * g.w > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw std::invalid_argument(std::string(args.op) + ": a plane of " + std::to_string(g.h) +
                                " x " + std::to_string(g.w) + " values is too large to index");
  }
  const std::size_t count = g.planes * g.oh * g.ow;
  picks->index.reset(new std::int32_t[count]);
  picks->planes = g.planes;
  picks->plane_in = g.h * g.w;
  picks->plane_out = g.oh * g.ow;
  picks->input_shape = x.shape();
  picks->output_shape = g.output_shape;
  Tensor indices;
  Tensor y = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(g.output_shape);
    find_maxima(kernels::values<T>(x), g, picks->index.get(), kernels::values<T>(out));
    if (with_indices) {
      indices = kernels::empty<T>(g.output_shape);
      std::copy_n(picks->index.get(), count, kernels::values<T>(indices));
    }
    return out;
  });
  return {record_gather(y, x, picks), indices};
}

// The windows of a mean pool along both axes: rows [row_start, row_end) and columns likewise,
// each output divided by row_div * col_div.
struct Windows {
  std::vector<std::size_t> row_start, row_end, col_start, col_end;
  std::vector<double> row_div, col_div;
  std::size_t planes, h, w, oh, ow;
  Shape input_shape, output_shape;
};
using WindowsPtr = std::shared_ptr<const Windows>;

Tensor window_mean_transpose(const Tensor& dy, const WindowsPtr& win);

// y[p, oy, ox] = sum of x over the window / its divisor.
Tensor window_mean(const Tensor& x, const WindowsPtr& win) {
  const Windows& v = *win;
  Tensor y = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(v.output_shape);
    const T* src = kernels::values<T>(x);
    T* dst = kernels::values<T>(out);
    for (std::size_t p = 0; p < v.planes; ++p) {
      const T* plane = src + p * v.h * v.w;
      for (std::size_t oy = 0; oy < v.oh; ++oy) {
        for (std::size_t ox = 0; ox < v.ow; ++ox) {
          T total = 0;
          for (std::size_t iy = v.row_start[oy]; iy < v.row_end[oy]; ++iy) {
            for (std::size_t ix = v.col_start[ox]; ix < v.col_end[ox]; ++ix) {
              total += plane[iy * v.w + ix];
            }
          }
          *dst++ = total / static_cast<T>(v.row_div[oy] * v.col_div[ox]);
        }
      }
    }
    return out;
  });
  return record("avg_pool", y, {x}, [win](const Tensor& dy) {
    return Gradients{window_mean_transpose(dy, win)};  // y = A x: dx = A^T dy
  });
}

// dx[p, iy, ix] = sum over the windows holding (iy, ix) of dy / divisor: the adjoint of
// window_mean.
Tensor window_mean_transpose(const Tensor& dy, const WindowsPtr& win) {
  const Windows& v = *win;
  Tensor dx = dispatch(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(v.input_shape);
    const T* src = kernels::values<T>(dy);
    T* dst = kernels::values<T>(out);
    std::fill_n(dst, v.planes * v.h * v.w, T(0));
    for (std::size_t p = 0; p < v.planes; ++p) {
      T* plane = dst + p * v.h * v.w;
      for (std::size_t oy = 0; oy < v.oh; ++oy) {
        for (std::size_t ox = 0; ox < v.ow; ++ox) {
          const T share = *src++ / static_cast<T>(v.row_div[oy] * v.col_div[ox]);
          for (std::size_t iy = v.row_start[oy]; iy < v.row_end[oy]; ++iy) {
            for (std::size_t ix = v.col_start[ox]; ix < v.col_end[ox]; ++ix) {
              plane[iy * v.w + ix] += share;
            }
          }
        }
      }
    }
    return out;
  });
  return record("avg_pool_transpose", std::move(dx), {dy},
                [win](const Tensor& grad) { return Gradients{window_mean(grad, win)}; });
}

// Windows of a strided pool along one axis (PyTorch's avg_pool2d): start o s - p, end
// min(start + k, extent + p); the divisor is that length, or the part inside the input.
void strided_windows(std::size_t extent, std::size_t out, std::size_t k, std::size_t s,
                     std::size_t pad, bool count_include_pad, std::vector<std::size_t>& start,
                     std::vector<std::size_t>& end, std::vector<double>& div) {
  for (std::size_t o = 0; o < out; ++o) {
    const long lo = static_cast<long>(o * s) - static_cast<long>(pad);
    const long hi = std::min(lo + static_cast<long>(k), static_cast<long>(extent + pad));
    const long clipped_lo = std::max(lo, 0L);
    const long clipped_hi = std::min(hi, static_cast<long>(extent));
    start.push_back(static_cast<std::size_t>(clipped_lo));
    end.push_back(static_cast<std::size_t>(std::max(clipped_hi, clipped_lo)));
    div.push_back(static_cast<double>(count_include_pad ? hi - lo : clipped_hi - clipped_lo));
  }
}

// Windows of an adaptive pool along one axis: floor(o extent / out) to ceil((o + 1) extent / out).
void adaptive_windows(std::size_t extent, std::size_t out, std::vector<std::size_t>& start,
                      std::vector<std::size_t>& end, std::vector<double>& div) {
  for (std::size_t o = 0; o < out; ++o) {
    start.push_back(o * extent / out);
    end.push_back(((o + 1) * extent + out - 1) / out);
    div.push_back(static_cast<double>(end.back() - start.back()));
  }
}

std::shared_ptr<Windows> windows_of(const PoolGeometry& g, const Tensor& x) {
  auto win = std::make_shared<Windows>();
  win->planes = g.planes;
  win->h = g.h;
  win->w = g.w;
  win->oh = g.oh;
  win->ow = g.ow;
  win->input_shape = x.shape();
  win->output_shape = g.output_shape;
  return win;
}

Tensor avg_pool(const detail::PoolArguments& args, const Tensor& x, bool count_include_pad) {
  const PoolGeometry g = detail::pool_geometry(args, x);
  auto win = windows_of(g, x);
  strided_windows(g.h, g.oh, g.kh, g.sh, g.ph, count_include_pad, win->row_start, win->row_end,
                  win->row_div);
  strided_windows(g.w, g.ow, g.kw, g.sw, g.pw, count_include_pad, win->col_start, win->col_end,
                  win->col_div);
  return window_mean(x, win);
}

detail::PoolArguments arguments(const char* op, Size2 kernel, Size2 stride, Size2 padding,
                                Size2 dilation, bool ceil_mode) {
  const Size2 s = stride.given ? stride : kernel;
  return {op,
          2,
          {kernel.h, kernel.w},
          {s.h, s.w},
          {padding.h, padding.w},
          {dilation.h, dilation.w},
          ceil_mode};
}

detail::PoolArguments arguments_1d(const char* op, int kernel, std::optional<int> stride,
                                   int padding, int dilation, bool ceil_mode) {
  return {op, 1, {1, kernel}, {1, stride.value_or(kernel)}, {0, padding}, {1, dilation}, ceil_mode};
}

}  // namespace

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, Size2 kernel_size, Size2 stride,
                                                  Size2 padding, Size2 dilation, bool ceil_mode) {
  auto [y, indices] =
      max_pool(arguments("max_pool2d", kernel_size, stride, padding, dilation, ceil_mode), x, true);
  return {y, indices.to(int64)};  // whole numbers in x's dtype inside; int64 for users, as torch
}

Tensor max_pool2d(const Tensor& x, Size2 kernel_size, Size2 stride, Size2 padding, Size2 dilation,
                  bool ceil_mode) {
  return max_pool(arguments("max_pool2d", kernel_size, stride, padding, dilation, ceil_mode), x,
                  false)
      .first;
}

std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& x, int kernel_size,
                                                  std::optional<int> stride, int padding,
                                                  int dilation, bool ceil_mode) {
  auto [y, indices] = max_pool(
      arguments_1d("max_pool1d", kernel_size, stride, padding, dilation, ceil_mode), x, true);
  return {y, indices.to(int64)};
}

Tensor max_pool1d(const Tensor& x, int kernel_size, std::optional<int> stride, int padding,
                  int dilation, bool ceil_mode) {
  return max_pool(arguments_1d("max_pool1d", kernel_size, stride, padding, dilation, ceil_mode), x,
                  false)
      .first;
}

Tensor avg_pool2d(const Tensor& x, Size2 kernel_size, Size2 stride, Size2 padding, bool ceil_mode,
                  bool count_include_pad) {
  return avg_pool(arguments("avg_pool2d", kernel_size, stride, padding, 1, ceil_mode), x,
                  count_include_pad);
}

Tensor avg_pool1d(const Tensor& x, int kernel_size, std::optional<int> stride, int padding,
                  bool ceil_mode, bool count_include_pad) {
  return avg_pool(arguments_1d("avg_pool1d", kernel_size, stride, padding, 1, ceil_mode), x,
                  count_include_pad);
}

Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size) {
  const PoolGeometry g =
      detail::adaptive_pool_geometry("adaptive_avg_pool2d", output_size.h, output_size.w, x);
  auto win = windows_of(g, x);
  adaptive_windows(g.h, g.oh, win->row_start, win->row_end, win->row_div);
  adaptive_windows(g.w, g.ow, win->col_start, win->col_end, win->col_div);
  return window_mean(x, win);
}

}  // namespace xgrad

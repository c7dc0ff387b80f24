// linear_steps: the input projections of a sequence in one gemm, recorded as one node per step
// whose backward is the step's own linear gradient, written in differentiable ops.
#include "autograd/ops/recurrent_cell.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/factory.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops/activation.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/fastmath.hpp"
#include "autograd/ops/join_ops.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/matmul.hpp"
#include "autograd/ops/reduction.hpp"
#include "autograd/ops/shape_ops.hpp"

namespace xgrad {

namespace {

// tanh for float32 with no branch per element: Cephes' odd polynomial below 0.625 (evaluated at
// |x| clamped there, so it stays finite), 1 - 2 / (e^{2|x|} + 1) above, blended by a 0/1 weight;
// within a few ulp of the C library. float64 keeps std::tanh.
inline float tanh_value(float x) {
  const float a = std::abs(x);
  const float xs = std::copysign(std::min(a, 0.625f), x), z = xs * xs;
  const float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z +
                        1.33314422036e-1f) *
                           z -
                       3.33332819422e-1f) *
                          z * xs +
                      xs;
  const float big = std::copysign(1.0f - 2.0f / (kernels::exp_value(a + a) + 1.0f), x);
  const float w = a > 0.625f ? 1.0f : 0.0f;
  return w * big + (1.0f - w) * small;
}

inline double tanh_value(double x) {
  return std::tanh(x);
}

// The logistic function 1 / (1 + e^-v) with no branch: e^-v is inf far below 0 (exp_value
// clamps at 89), and 1 / inf is the right 0.
template <class T>
inline T sigmoid_value(T v) {
  return T(1) / (T(1) + kernels::exp_value(-v));
}

void check_cell(const char* op, const Tensor& gates, const Tensor& c) {
  kernels::check_defined(op, gates);
  kernels::check_defined(op, c);
  kernels::check_floating(op, gates);
  kernels::check_same_dtype(op, gates, c);
  const Shape g = gates.shape(), s = c.shape();
  if (g.size() != 2 || s.size() != 2 || g[0] != s[0] || g[1] != 4 * s[1]) {
    throw std::invalid_argument(std::string(op) + ": gates are " + format_shape(g) +
                                " and the state " + format_shape(s) +
                                "; expected (N, 4 hidden) and (N, hidden)");
  }
}

// Calls f(gates row pointer, state row pointer, out row pointer, hidden) for every row.
template <class T, class F>
Tensor cell_rows(const Tensor& gates, const Tensor& c, F f) {
  const std::size_t n = c.size(0), h = c.size(1);
  Tensor out = kernels::empty<T>(Shape{n, h});
  const T* g = kernels::values<T>(gates);
  const T* s = kernels::values<T>(c);
  T* o = kernels::values<T>(out);
  for (std::size_t r = 0; r < n; ++r) f(g + r * 4 * h, s + r * h, o + r * h, h);
  return out;
}

// The one-pass first-order backward of a cell op: f(g, s, d, dg, ds, h) fills one row's gradient
// of the gates (4 h values) and of the state (h values) from the row's gates, state and dy.
template <class T, class F>
Gradients cell_rows_backward(const Tensor& gates, const Tensor& c, const Tensor& dy, F f) {
  const std::size_t n = c.size(0), h = c.size(1);
  Tensor dgates = kernels::empty<T>(Shape{n, 4 * h}), dc = kernels::empty<T>(Shape{n, h});
  const T* g = kernels::values<T>(gates);
  const T* s = kernels::values<T>(c);
  const T* d = kernels::values<T>(dy);
  T* dg = kernels::values<T>(dgates);
  T* ds = kernels::values<T>(dc);
  for (std::size_t r = 0; r < n; ++r) {
    f(g + r * 4 * h, s + r * h, d + r * h, dg + r * 4 * h, ds + r * h, h);
  }
  return Gradients{dgates, dc};
}

}  // namespace

Tensor lstm_cell_state(const Tensor& gates, const Tensor& c) {
  check_cell("lstm_cell_state", gates, c);
  Tensor y = dispatch(gates.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return cell_rows<T>(gates, c, [](const T* g, const T* s, T* out, std::size_t h) {
      for (std::size_t j = 0; j < h; ++j) {
        out[j] = sigmoid_value(g[h + j]) * s[j] + sigmoid_value(g[j]) * tanh_value(g[2 * h + j]);
      }
    });
  });
  return record("lstm_cell_state", std::move(y), {gates, c}, [gates, c](const Tensor& dy) {
    if (!GradMode::is_enabled()) {  // the formulas below in one pass
      return dispatch(gates.dtype(), [&](auto tag) {
        using T = decltype(tag);
        return cell_rows_backward<T>(
            gates, c, dy,
            [](const T* __restrict gr, const T* __restrict sr, const T* __restrict dr,
               T* __restrict dgr, T* __restrict dsr, std::size_t h) {
              for (std::size_t j = 0; j < h; ++j) {
                const T i = sigmoid_value(gr[j]), f = sigmoid_value(gr[h + j]);
                const T t = tanh_value(gr[2 * h + j]);
                dgr[j] = dr[j] * t * i * (1 - i);
                dgr[h + j] = dr[j] * sr[j] * f * (1 - f);
                dgr[2 * h + j] = dr[j] * i * (1 - t * t);
                dgr[3 * h + j] = 0;
                dsr[j] = dr[j] * f;
              }
            });
      });
    }
    const std::vector<Tensor> p = chunk(gates, 4, 1);
    const Tensor i = sigmoid(p[0]), f = sigmoid(p[1]), t = tanh(p[2]);
    // dc'/di = tanh g, dc'/df = c, dc'/dg = i; sigmoid' = s (1 - s), tanh' = 1 - t^2
    return Gradients{concat({dy * t * i * (1.0 - i), dy * c * f * (1.0 - f), dy * i * (1.0 - t * t),
                             zeros_like(p[3])},
                            1),
                     dy * f};
  });
}

Tensor lstm_cell_hidden(const Tensor& gates, const Tensor& c_new) {
  check_cell("lstm_cell_hidden", gates, c_new);
  Tensor y = dispatch(gates.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return cell_rows<T>(gates, c_new, [](const T* g, const T* s, T* out, std::size_t h) {
      for (std::size_t j = 0; j < h; ++j) {
        out[j] = sigmoid_value(g[3 * h + j]) * tanh_value(s[j]);
      }
    });
  });
  return record("lstm_cell_hidden", std::move(y), {gates, c_new}, [gates, c_new](const Tensor& dy) {
    if (!GradMode::is_enabled()) {  // the formulas below in one pass
      return dispatch(gates.dtype(), [&](auto tag) {
        using T = decltype(tag);
        return cell_rows_backward<T>(
            gates, c_new, dy,
            [](const T* __restrict gr, const T* __restrict sr, const T* __restrict dr,
               T* __restrict dgr, T* __restrict dsr, std::size_t h) {
              std::fill(dgr, dgr + 3 * h, T(0));
              for (std::size_t j = 0; j < h; ++j) {
                const T o = sigmoid_value(gr[3 * h + j]), t = tanh_value(sr[j]);
                dgr[3 * h + j] = dr[j] * t * o * (1 - o);
                dsr[j] = dr[j] * o * (1 - t * t);
              }
            });
      });
    }
    const Tensor po = chunk(gates, 4, 1)[3];
    const Tensor o = sigmoid(po), t = tanh(c_new);
    // dh'/do = tanh c', dh'/dc' = o (1 - tanh^2 c')
    const Tensor zero = zeros_like(po);
    return Gradients{concat({zero, zero, zero, dy * t * o * (1.0 - o)}, 1), dy * o * (1.0 - t * t)};
  });
}

std::vector<Tensor> linear_steps(const std::vector<Tensor>& xs, const Tensor& weight,
                                 const Tensor& bias_a, const Tensor& bias_b) {
  if (xs.empty()) throw std::invalid_argument("linear_steps: no steps given");
  kernels::check_defined("linear_steps", weight);
  const Shape first = xs[0].defined() ? xs[0].shape() : Shape{};
  if (first.size() != 2 || weight.dim() != 2 || first[1] != weight.size(1)) {
    throw std::invalid_argument("linear_steps: step 0 is " + format_shape(first) + ", weight is " +
                                format_shape(weight.shape()) + "; expected (N, in) and (out, in)");
  }
  for (std::size_t t = 0; t < xs.size(); ++t) {
    kernels::check_defined("linear_steps", xs[t]);
    kernels::check_same_dtype("linear_steps", xs[t], weight);
    if (!xs[t].has_shape(first)) {
      throw std::invalid_argument("linear_steps: step " + std::to_string(t) + " is " +
                                  format_shape(xs[t].shape()) + ", step 0 is " +
                                  format_shape(first));
    }
  }
  const std::size_t n = first[0], out = weight.size(0), length = xs.size();
  // y[L N, out] = x[L N, in] @ W^T + (b_a + b_b): one gemm for the whole sequence
  Tensor all;
  {
    no_grad guard;
    Tensor bias;
    if (bias_a.defined()) bias = bias_a;
    if (bias_b.defined()) bias = bias.defined() ? add(bias, bias_b) : bias_b;
    all = linear(concat(xs, 0), weight, bias);
  }
  std::vector<Tensor> ys;
  ys.reserve(length);
  dispatch(weight.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = kernels::values<T>(all);
    for (std::size_t t = 0; t < length; ++t) {
      Tensor y = kernels::empty<T>(Shape{n, out});
      std::copy(src + t * n * out, src + (t + 1) * n * out, kernels::values<T>(y));
      const Tensor x = xs[t];
      ys.push_back(detail::record_optional(
          "linear_steps", std::move(y), {x, weight, bias_a, bias_b},
          [x, weight, need_x = x.requires_grad(), need_w = weight.requires_grad(),
           need_a = bias_a.defined() && bias_a.requires_grad(),
           need_b = bias_b.defined() && bias_b.requires_grad()](const Tensor& dy) {
            // dx[N, in] = dy[N, out] @ W[out, in]; dW[out, in] = dy^T[out, N] @ x[N, in];
            // each bias: dy summed over the rows
            Tensor dx = need_x ? matmul(dy, weight, false, false) : Tensor();
            Tensor dw = need_w ? matmul(dy, x, true, false) : Tensor();
            Tensor db = need_a || need_b ? sum(dy, std::vector<long>{0}) : Tensor();
            return Gradients{dx, dw, need_a ? db : Tensor(), need_b ? db : Tensor()};
          }));
    }
  });
  return ys;
}

}  // namespace xgrad

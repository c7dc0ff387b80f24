// Activations. sigmoid, tanh, relu and the softmaxes read their own output in backward through the
// saved-output handle instead of recomputing it.
#include "autograd/ops/activation.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/reduction.hpp"

namespace xgrad {

namespace {

// The extents around `axis`: a tensor viewed as (outer, n, inner).
struct AxisView {
  std::size_t outer = 1, n = 1, inner = 1;
};

AxisView view_around(const char* op, const Tensor& x, long axis) {
  kernels::check_floating(op, x);
  const Shape shape = x.shape();
  const std::size_t a = normalize_axis(op, axis, shape);
  AxisView v;
  for (std::size_t d = 0; d < a; ++d) v.outer *= shape[d];
  v.n = shape[a];
  for (std::size_t d = a + 1; d < shape.size(); ++d) v.inner *= shape[d];
  if (v.n == 0) {
    throw std::invalid_argument(std::string(op) + ": axis " + std::to_string(axis) +
                                " of a tensor of shape " + format_shape(shape) + " is empty");
  }
  return v;
}

// Softmax (log = false) or log-softmax (log = true) of every slice along the viewed axis.
Tensor softmax_values(const Tensor& x, const AxisView& v, bool log) {
  return dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor y = kernels::empty<T>(x.data<T>().shape());
    const T* in = x.data<T>().data();
    T* out = y.data<T>().data();
    for (std::size_t o = 0; o < v.outer; ++o) {
      for (std::size_t i = 0; i < v.inner; ++i) {
        const std::size_t base = o * v.n * v.inner + i;
        T top = -std::numeric_limits<T>::infinity();
        for (std::size_t k = 0; k < v.n; ++k) top = std::max(top, in[base + k * v.inner]);
        if (!std::isfinite(top)) top = 0;  // all -inf (or inf/NaN): let the arithmetic say so
        T total = 0;
        for (std::size_t k = 0; k < v.n; ++k)
          total += kernels::exp_value(in[base + k * v.inner] - top);
        if (log) {
          const T log_total = std::log(total);
          for (std::size_t k = 0; k < v.n; ++k) {
            out[base + k * v.inner] = in[base + k * v.inner] - top - log_total;
          }
        } else {
          for (std::size_t k = 0; k < v.n; ++k) {
            out[base + k * v.inner] = kernels::exp_value(in[base + k * v.inner] - top) / total;
          }
        }
      }
    }
    return y;
  });
}

}  // namespace

Tensor sigmoid(const Tensor& x) {
  kernels::check_floating("sigmoid", x);
  Tensor y = kernels::unary(x, [](auto v) { return kernels::sigmoid_value(v); });
  return record(
      "sigmoid", std::move(y), {x},
      [](const Tensor& dy, const Tensor& s) {
        if (!GradMode::is_enabled()) {  // the formula below in one pass, over dy's buffer if free
          return Gradients{kernels::binary_reusing(
              "sigmoid", dy, s, [](auto g, auto v) { return g * (v * (1 - v)); })};
        }
        return Gradients{mul(dy, mul(s, 1.0 - s))};  // s' = s (1 - s)
      },
      Saves::nothing);
}

Tensor tanh(const Tensor& x) {
  kernels::check_floating("tanh", x);
  Tensor y = kernels::unary(x, [](auto v) { return std::tanh(v); });
  return record(
      "tanh", std::move(y), {x},
      [](const Tensor& dy, const Tensor& t) {
        if (!GradMode::is_enabled()) {  // the formula below in one pass, over dy's buffer if free
          return Gradients{kernels::binary_reusing("tanh", dy, t,
                                                   [](auto g, auto v) { return g * (1 - v * v); })};
        }
        return Gradients{mul(dy, 1.0 - mul(t, t))};  // t' = 1 - t^2
      },
      Saves::nothing);
}

Tensor relu(const Tensor& x) {
  kernels::check_floating("relu", x);
  // "v <= 0 ? 0 : v", not "v > 0 ? v : 0": NaN fails every comparison, so this form keeps it (as
  // PyTorch and NumPy do) and is the same one select in the vectorised loop.
  Tensor y = kernels::unary(x, [](auto v) { return v <= 0 ? decltype(v)(0) : v; });
  return record(
      "relu", std::move(y), {x},
      [](const Tensor& dy, const Tensor& out) {
        // 0 where the output is <= 0, else 1 (NaN included, as PyTorch's threshold_backward): a
        // constant mask
        auto mask = [](auto v) { return v <= 0 ? decltype(v)(0) : decltype(v)(1); };
        if (!GradMode::is_enabled()) {  // dy times the mask in one pass
          return Gradients{kernels::binary_reusing("relu", dy, out,
                                                   [mask](auto g, auto v) { return g * mask(v); })};
        }
        return Gradients{mul(dy, kernels::unary(out, mask))};
      },
      Saves::nothing);
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  kernels::check_floating("leaky_relu", x);
  Tensor y = kernels::unary(x, [negative_slope](auto v) {
    return v > 0 ? v : v * static_cast<decltype(v)>(negative_slope);
  });
  return record("leaky_relu", std::move(y), {x}, [x, negative_slope](const Tensor& dy) {
    Tensor slope = kernels::unary(x, [negative_slope](auto v) {
      using T = decltype(v);
      return v > 0 ? T(1) : static_cast<T>(negative_slope);
    });
    return Gradients{mul(dy, slope)};
  });
}

Tensor softplus(const Tensor& x, double beta) {
  kernels::check_floating("softplus", x);
  if (!(beta > 0) || !std::isfinite(beta)) {
    throw std::invalid_argument("softplus: beta must be positive and finite, got " +
                                format_number(beta));
  }
  Tensor y = kernels::unary(x, [beta](auto v) {
    using T = decltype(v);
    const T bx = static_cast<T>(beta) * v;
    // log(1 + e^bx) = max(bx, 0) + log1p(e^-|bx|), exact for any bx
    return (std::max(bx, T(0)) + std::log1p(std::exp(-std::abs(bx)))) / static_cast<T>(beta);
  });
  return record("softplus", std::move(y), {x}, [x, beta](const Tensor& dy) {
    return Gradients{mul(dy, sigmoid(mul(x, beta)))};  // d/dx = sigmoid(beta x)
  });
}

Tensor softmax(const Tensor& x, long axis) {
  const AxisView v = view_around("softmax", x, axis);
  Tensor y = softmax_values(x, v, false);
  return record(
      "softmax", std::move(y), {x},
      [axis](const Tensor& dy, const Tensor& s) {
        // dx = s * (dy - sum(dy * s, axis))
        return Gradients{mul(s, sub(dy, sum(mul(dy, s), {axis}, true)))};
      },
      Saves::nothing);
}

Tensor log_softmax(const Tensor& x, long axis) {
  const AxisView v = view_around("log_softmax", x, axis);
  Tensor y = softmax_values(x, v, true);
  return record(
      "log_softmax", std::move(y), {x},
      [axis](const Tensor& dy, const Tensor& out) {
        // dx = dy - softmax(x) * sum(dy, axis), with softmax(x) = exp(log_softmax(x))
        return Gradients{sub(dy, mul(exp(out), sum(dy, {axis}, true)))};
      },
      Saves::nothing);
}

// erf and the activations after it: each computes its forward in one pass, and its backward in
// tensor ops (so create_graph differentiates it again) or, with no graph to record, in one pass
// of the same formula.

namespace {

constexpr double kTwoOverSqrtPi = 1.1283791670955126;  // 2 / sqrt(pi)
constexpr double kInvSqrt2 = 0.70710678118654752;      // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143268;    // 1 / sqrt(2 pi)
constexpr double kSqrt2OverPi = 0.79788456080286536;   // sqrt(2 / pi)
constexpr double kGeluCubic = 0.044715;

template <class T>
T gelu_value(T v) {
  return v * T(0.5) * (T(1) + std::erf(v * T(kInvSqrt2)));
}
// d/dx x Phi(x) = Phi(x) + x phi(x)
template <class T>
T gelu_slope(T v) {
  return T(0.5) * (T(1) + std::erf(v * T(kInvSqrt2))) +
         v * T(kInvSqrt2Pi) * std::exp(T(-0.5) * v * v);
}
template <class T>
T gelu_tanh_value(T v) {
  return T(0.5) * v * (T(1) + std::tanh(T(kSqrt2OverPi) * (v + T(kGeluCubic) * v * v * v)));
}
// d/dx = (1 + t) / 2 + x (1 - t^2) k (1 + 3 c x^2) / 2, t = tanh(k (x + c x^3))
template <class T>
T gelu_tanh_slope(T v) {
  const T t = std::tanh(T(kSqrt2OverPi) * (v + T(kGeluCubic) * v * v * v));
  return T(0.5) * (T(1) + t) +
         T(0.5) * v * (T(1) - t * t) * T(kSqrt2OverPi) * (T(1) + T(3 * kGeluCubic) * v * v);
}

}  // namespace

Tensor erf(const Tensor& x) {
  kernels::check_defined("erf", x);
  Tensor y = kernels::unary(x, [](auto v) { return std::erf(v); });
  return record("erf", std::move(y), {x}, [x](const Tensor& dy) {
    if (!GradMode::is_enabled()) {
      return Gradients{kernels::binary_reusing("erf", dy, x, [](auto g, auto v) {
        using T = decltype(v);
        return g * (T(kTwoOverSqrtPi) * std::exp(-v * v));
      })};
    }
    return Gradients{mul(dy, mul(exp(neg(mul(x, x))), kTwoOverSqrtPi))};  // 2/sqrt(pi) e^(-x^2)
  });
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  kernels::check_defined("gelu", x);
  if (approximate != "none" && approximate != "tanh") {
    throw std::invalid_argument("gelu: approximate must be \"none\" or \"tanh\", got \"" +
                                approximate + "\"");
  }
  if (approximate == "tanh") {
    Tensor y = kernels::unary(x, [](auto v) { return gelu_tanh_value(v); });
    return record("gelu", std::move(y), {x}, [x](const Tensor& dy) {
      if (!GradMode::is_enabled()) {
        return Gradients{kernels::binary_reusing(
            "gelu", dy, x, [](auto g, auto v) { return g * gelu_tanh_slope(v); })};
      }
      Tensor x2 = mul(x, x);
      Tensor t = tanh(mul(add(x, mul(mul(x2, x), kGeluCubic)), kSqrt2OverPi));
      Tensor inner_slope = mul(add(mul(x2, 3 * kGeluCubic), 1.0), kSqrt2OverPi);
      Tensor slope =
          add(mul(add(t, 1.0), 0.5), mul(mul(x, 1.0 - mul(t, t)), mul(inner_slope, 0.5)));
      return Gradients{mul(dy, slope)};
    });
  }
  Tensor y = kernels::unary(x, [](auto v) { return gelu_value(v); });
  return record("gelu", std::move(y), {x}, [x](const Tensor& dy) {
    if (!GradMode::is_enabled()) {
      return Gradients{
          kernels::binary_reusing("gelu", dy, x, [](auto g, auto v) { return g * gelu_slope(v); })};
    }
    // d/dx = Phi(x) + x phi(x), Phi = (1 + erf(x / sqrt 2)) / 2, phi = e^(-x^2/2) / sqrt(2 pi)
    Tensor cdf = mul(add(erf(mul(x, kInvSqrt2)), 1.0), 0.5);
    Tensor pdf = mul(exp(mul(mul(x, x), -0.5)), kInvSqrt2Pi);
    return Gradients{mul(dy, add(cdf, mul(x, pdf)))};
  });
}

Tensor silu(const Tensor& x) {
  kernels::check_defined("silu", x);
  Tensor y = kernels::unary(x, [](auto v) { return v * kernels::sigmoid_value(v); });
  return record("silu", std::move(y), {x}, [x](const Tensor& dy) {
    if (!GradMode::is_enabled()) {
      return Gradients{kernels::binary_reusing("silu", dy, x, [](auto g, auto v) {
        using T = decltype(v);
        const T s = kernels::sigmoid_value(v);
        return g * (s * (T(1) + v * (T(1) - s)));
      })};
    }
    Tensor s = sigmoid(x);  // d/dx x s = s (1 + x (1 - s))
    return Gradients{mul(dy, mul(s, add(mul(x, 1.0 - s), 1.0)))};
  });
}

Tensor elu(const Tensor& x, double alpha) {
  kernels::check_defined("elu", x);
  if (!std::isfinite(alpha)) {
    throw std::invalid_argument("elu: alpha must be finite, got " + format_number(alpha));
  }
  Tensor y = kernels::unary(x, [alpha](auto v) {
    using T = decltype(v);
    return v > 0 ? v : static_cast<T>(alpha) * std::expm1(v);  // NaN takes the expm1 branch
  });
  return record("elu", std::move(y), {x}, [x, alpha](const Tensor& dy) {
    if (!GradMode::is_enabled()) {
      return Gradients{kernels::binary_reusing("elu", dy, x, [alpha](auto g, auto v) {
        using T = decltype(v);
        return v > 0 ? g : g * static_cast<T>(alpha) * std::exp(v);
      })};
    }
    // 1 for x > 0, alpha e^x otherwise; e^x of min(x, 0) so that large x cannot give 0 * inf
    Tensor positive = kernels::unary(x, [](auto v) { return v > 0 ? decltype(v)(1) : 0; });
    Tensor negative_slope =
        mul(exp(clamp(x, -std::numeric_limits<double>::infinity(), 0.0)), alpha);
    return Gradients{mul(dy, add(positive, mul(1.0 - positive, negative_slope)))};
  });
}

Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  kernels::check_defined("hardtanh", x);
  if (!(min_val <= max_val)) {
    throw std::invalid_argument("hardtanh: min_val must not exceed max_val (nor be NaN), got " +
                                format_number(min_val) + " and " + format_number(max_val));
  }
  Tensor y = kernels::unary(x, [min_val, max_val](auto v) {
    using T = decltype(v);
    const T lo = static_cast<T>(min_val), hi = static_cast<T>(max_val);
    return v < lo ? lo : (v > hi ? hi : v);  // NaN fails both tests and stays NaN
  });
  return record("hardtanh", std::move(y), {x}, [x, min_val, max_val](const Tensor& dy) {
    // PyTorch's mask: 0 at or beyond a bound, 1 elsewhere (NaN included); a constant
    auto mask = [min_val, max_val](auto v) {
      using T = decltype(v);
      return (v <= static_cast<T>(min_val) || v >= static_cast<T>(max_val)) ? T(0) : T(1);
    };
    if (!GradMode::is_enabled()) {
      return Gradients{kernels::binary_reusing("hardtanh", dy, x,
                                               [mask](auto g, auto v) { return g * mask(v); })};
    }
    return Gradients{mul(dy, kernels::unary(x, mask))};
  });
}

}  // namespace xgrad

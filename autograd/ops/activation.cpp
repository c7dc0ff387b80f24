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
        for (std::size_t k = 0; k < v.n; ++k) total += std::exp(in[base + k * v.inner] - top);
        if (log) {
          const T log_total = std::log(total);
          for (std::size_t k = 0; k < v.n; ++k) {
            out[base + k * v.inner] = in[base + k * v.inner] - top - log_total;
          }
        } else {
          for (std::size_t k = 0; k < v.n; ++k) {
            out[base + k * v.inner] = std::exp(in[base + k * v.inner] - top) / total;
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
      "sigmoid", y, {x},
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
      "tanh", y, {x},
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
  Tensor y = kernels::unary(x, [](auto v) { return v > 0 ? v : decltype(v)(0); });
  return record(
      "relu", y, {x},
      [](const Tensor& dy, const Tensor& out) {
        // 1 where x > 0 (exactly where the output is positive), else 0: a constant mask
        auto mask = [](auto v) { return v > 0 ? decltype(v)(1) : 0; };
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
  return record("leaky_relu", y, {x}, [x, negative_slope](const Tensor& dy) {
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
  return record("softplus", y, {x}, [x, beta](const Tensor& dy) {
    return Gradients{mul(dy, sigmoid(mul(x, beta)))};  // d/dx = sigmoid(beta x)
  });
}

Tensor softmax(const Tensor& x, long axis) {
  const AxisView v = view_around("softmax", x, axis);
  Tensor y = softmax_values(x, v, false);
  return record(
      "softmax", y, {x},
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
      "log_softmax", y, {x},
      [axis](const Tensor& dy, const Tensor& out) {
        // dx = dy - softmax(x) * sum(dy, axis), with softmax(x) = exp(log_softmax(x))
        return Gradients{sub(dy, mul(exp(out), sum(dy, {axis}, true)))};
      },
      Saves::nothing);
}

}  // namespace xgrad

// Elementwise arithmetic and math. Each op computes its values with a kernel, then records a
// backward written in tensor ops (so create_graph can differentiate it again).
#include "autograd/ops/elementwise.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/factory.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/reduction.hpp"

namespace xgrad {

namespace {

// Where an op's gradient is a fixed 0/1 (or 0/0.5/1) pattern, the pattern is a constant: it has
// no graph, so a second derivative sees it as locally constant, which it is.
template <class F>
Tensor constant_mask(const Tensor& x, F f) {
  return kernels::unary(x, [f](auto v) { return static_cast<decltype(v)>(f(v) ? 1 : 0); });
}

// What a sum or difference needs of an input in backward: whether it wants a gradient, and its
// shape (inline, no allocation) to sum a broadcast gradient back to.
struct Input {
  explicit Input(const Tensor& t)
      : shape(t.sizes().inline_copy()), requires_grad(t.requires_grad()) {}
  Tensor reduce(const Tensor& grad) const {
    return requires_grad ? reduce_to_shape(grad, shape) : Tensor();
  }
  InlineShape shape;
  bool requires_grad;
};

// y = f(x) for a scalar parameter s: one kernel, and dy * scale as the gradient.
template <class F>
Tensor scalar_op(const char* name, const Tensor& x, F f, double grad_scale) {
  kernels::check_floating(name, x);
  Tensor y = kernels::unary(x, f);
  return record(
      name, std::move(y), {x},
      [grad_scale](const Tensor& dy) {
        if (grad_scale == 1.0) return Gradients{dy};
        if (!GradMode::is_enabled()) {  // mul(dy, scale), over dy's buffer if free
          return Gradients{kernels::unary_reusing(
              dy, [grad_scale](auto v) { return v * static_cast<decltype(v)>(grad_scale); })};
        }
        return Gradients{mul(dy, grad_scale)};
      },
      Saves::nothing);
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = kernels::binary<true>("add", a, b, [](auto u, auto v) { return u + v; });
  return record(
      "add", std::move(y), {a, b},
      [in_a = Input(a), in_b = Input(b)](const Tensor& dy) {
        // d(a + b)/da = d(a + b)/db = 1
        return Gradients{in_a.reduce(dy), in_b.reduce(dy)};
      },
      Saves::nothing);
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = kernels::binary<true>("sub", a, b, [](auto u, auto v) { return u - v; });
  return record(
      "sub", std::move(y), {a, b},
      [in_a = Input(a), in_b = Input(b)](const Tensor& dy) {
        // d(a - b)/da = 1, d(a - b)/db = -1
        return Gradients{in_a.reduce(dy), in_b.requires_grad ? in_b.reduce(neg(dy)) : Tensor()};
      },
      Saves::nothing);
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = kernels::binary<true>("mul", a, b, [](auto u, auto v) { return u * v; });
  return record("mul", std::move(y), {a, b}, [a, b](const Tensor& dy) {
    // d(a b)/da = b, d(a b)/db = a
    Tensor db = b.requires_grad() ? reduce_to_shape(mul(dy, a), b.sizes()) : Tensor();
    if (!a.requires_grad()) return Gradients{Tensor(), db};
    if (!GradMode::is_enabled()) {  // dy's last use: the product over its buffer if free
      auto times = [](auto u, auto v) { return u * v; };
      return Gradients{reduce_to_shape(kernels::binary_reusing("mul", dy, b, times), a.sizes()),
                       db};
    }
    return Gradients{reduce_to_shape(mul(dy, b), a.sizes()), db};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = kernels::binary("div", a, b, [](auto u, auto v) { return u / v; });
  return record("div", std::move(y), {a, b}, [a, b](const Tensor& dy, const Tensor& out) {
    // d(a / b)/da = 1 / b; d(a / b)/db = -a / b^2 = -(1 / b)(a / b)
    Tensor da = div(dy, b);
    Tensor db = b.requires_grad() ? reduce_to_shape(neg(mul(da, out)), b.sizes()) : Tensor();
    return Gradients{a.requires_grad() ? reduce_to_shape(da, a.sizes()) : Tensor(), db};
  });
}

Tensor neg(const Tensor& x) {
  return scalar_op(
      "neg", x, [](auto v) { return -v; }, -1.0);
}

Tensor add(const Tensor& x, double s) {
  return scalar_op(
      "add", x, [s](auto v) { return v + static_cast<decltype(v)>(s); }, 1.0);
}

Tensor mul(const Tensor& x, double s) {
  return scalar_op(
      "mul", x, [s](auto v) { return v * static_cast<decltype(v)>(s); }, s);
}

Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
Tensor operator-(const Tensor& x) {
  return neg(x);
}
Tensor operator+(const Tensor& x, double s) {
  return add(x, s);
}
Tensor operator+(double s, const Tensor& x) {
  return add(x, s);
}
Tensor operator-(const Tensor& x, double s) {
  return add(x, -s);
}
Tensor operator-(double s, const Tensor& x) {
  return scalar_op(
      "rsub", x, [s](auto v) { return static_cast<decltype(v)>(s) - v; }, -1.0);
}
Tensor operator*(const Tensor& x, double s) {
  return mul(x, s);
}
Tensor operator*(double s, const Tensor& x) {
  return mul(x, s);
}
Tensor operator/(const Tensor& x, double s) {
  return scalar_op(
      "div", x, [s](auto v) { return v / static_cast<decltype(v)>(s); }, 1.0 / s);
}
Tensor operator/(double s, const Tensor& x) {
  return mul(pow(x, -1.0), s);
}

Tensor pow(const Tensor& x, double exponent) {
  kernels::check_floating("pow", x);
  Tensor y = kernels::unary(x, [exponent](auto v) {
    using T = decltype(v);
    return exponent == 2.0 ? v * v : static_cast<T>(std::pow(v, static_cast<T>(exponent)));
  });
  return record("pow", std::move(y), {x}, [x, exponent](const Tensor& dy) {
    // d(x^p)/dx = p x^(p-1); for p = 0 a zero gradient (not none: as PyTorch, the leaf gets a
    // zero .grad(), which an optimizer's weight decay and momentum still act on)
    if (exponent == 0.0) return Gradients{zeros_like(x)};
    if (exponent == 1.0) return Gradients{dy};
    if (exponent == 2.0) return Gradients{mul(dy, mul(x, 2.0))};
    return Gradients{mul(dy, mul(pow(x, exponent - 1.0), exponent))};
  });
}

Tensor pow(const Tensor& base, const Tensor& exponent) {
  Tensor y = kernels::binary("pow", base, exponent, [](auto u, auto v) { return std::pow(u, v); });
  return record(
      "pow", std::move(y), {base, exponent}, [base, exponent](const Tensor& dy, const Tensor& out) {
        // d(a^b)/da = b a^(b-1); d(a^b)/db = a^b log(a). As PyTorch, both are 0 at the edges where
        // the formulas give 0 * inf: da where b = 0 (and a = 0), db where a = 0 and b >= 0. The
        // base is moved to 1 there (a constant shift), so the formula itself yields the 0 and stays
        // differentiable.
        Tensor da, db;
        if (base.requires_grad()) {
          Tensor at_edge = kernels::binary("pow", base, exponent, [](auto u, auto v) {
            return static_cast<decltype(u)>(u == 0 && v == 0 ? 1 : 0);
          });
          Tensor safe_base = add(base, at_edge);
          da = reduce_to_shape(
              mul(dy, mul(exponent, pow(safe_base, sub(exponent, ones_like(exponent))))),
              base.sizes());
        }
        if (exponent.requires_grad()) {
          Tensor at_edge = kernels::binary("pow", base, exponent, [](auto u, auto v) {
            return static_cast<decltype(u)>(u == 0 && v >= 0 ? 1 : 0);
          });
          db = reduce_to_shape(mul(dy, mul(out, log(add(base, at_edge)))), exponent.sizes());
        }
        return Gradients{da, db};
      });
}

Tensor exp(const Tensor& x) {
  kernels::check_floating("exp", x);
  Tensor y = kernels::unary(x, [](auto v) { return std::exp(v); });
  // d(e^x)/dx = e^x: the saved output, not a second exp
  return record(
      "exp", std::move(y), {x},
      [](const Tensor& dy, const Tensor& out) { return Gradients{mul(dy, out)}; }, Saves::nothing);
}

Tensor log(const Tensor& x) {
  kernels::check_floating("log", x);
  Tensor y = kernels::unary(x, [](auto v) { return std::log(v); });
  return record("log", std::move(y), {x}, [x](const Tensor& dy) { return Gradients{div(dy, x)}; });
}

Tensor sqrt(const Tensor& x) {
  kernels::check_floating("sqrt", x);
  Tensor y = kernels::unary(x, [](auto v) { return std::sqrt(v); });
  // d(sqrt x)/dx = 1 / (2 sqrt x)
  return record(
      "sqrt", std::move(y), {x},
      [](const Tensor& dy, const Tensor& out) { return Gradients{mul(div(dy, out), 0.5)}; },
      Saves::nothing);
}

Tensor sin(const Tensor& x) {
  kernels::check_floating("sin", x);
  Tensor y = kernels::unary(x, [](auto v) { return std::sin(v); });
  return record("sin", std::move(y), {x},
                [x](const Tensor& dy) { return Gradients{mul(dy, cos(x))}; });
}

Tensor cos(const Tensor& x) {
  kernels::check_floating("cos", x);
  Tensor y = kernels::unary(x, [](auto v) { return std::cos(v); });
  return record("cos", std::move(y), {x},
                [x](const Tensor& dy) { return Gradients{mul(dy, neg(sin(x)))}; });
}

Tensor abs(const Tensor& x) {
  kernels::check_floating("abs", x);
  Tensor y = kernels::unary(x, [](auto v) { return std::abs(v); });
  return record("abs", std::move(y), {x}, [x](const Tensor& dy) {
    // d|x|/dx = sign(x), 0 at 0
    Tensor sign = kernels::unary(x, [](auto v) {
      using T = decltype(v);
      return v > 0 ? T(1) : (v < 0 ? T(-1) : T(0));
    });
    return Gradients{mul(dy, sign)};
  });
}

Tensor clamp(const Tensor& x, double min, double max) {
  kernels::check_floating("clamp", x);
  if (std::isnan(min) || std::isnan(max) || min > max) {
    throw std::invalid_argument("clamp: need min <= max; got min " + format_number(min) + ", max " +
                                format_number(max));
  }
  Tensor y = kernels::unary(x, [min, max](auto v) {
    using T = decltype(v);
    return v < static_cast<T>(min) ? static_cast<T>(min)
                                   : (v > static_cast<T>(max) ? static_cast<T>(max) : v);
  });
  return record("clamp", std::move(y), {x}, [x, min, max](const Tensor& dy) {
    Tensor inside = constant_mask(x, [min, max](auto v) { return v >= min && v <= max; });
    return Gradients{mul(dy, inside)};
  });
}

namespace {

// minimum (take_smaller) or maximum: weight 1 to the chosen input, 1/2 to each at a tie.
Tensor min_max(const char* name, const Tensor& a, const Tensor& b, bool take_smaller) {
  Tensor y = kernels::binary(name, a, b, [take_smaller](auto u, auto v) {
    if (std::isnan(u)) return u;
    return (take_smaller ? u < v : u > v) ? u : v;
  });
  return record(name, std::move(y), {a, b}, [name, a, b, take_smaller](const Tensor& dy) {
    // An input gets the whole gradient unless the other one wins outright, half at a tie. Written
    // as "unless the other wins" so that a NaN on either side (no winner, no tie) sends the
    // gradient to both, as PyTorch does.
    auto weight = [take_smaller](auto u, auto v) {
      using T = decltype(u);
      return u == v ? T(0.5) : ((take_smaller ? v < u : v > u) ? T(0) : T(1));
    };
    Tensor da, db;
    if (a.requires_grad()) {
      da = reduce_to_shape(mul(dy, kernels::binary(name, a, b, weight)), a.sizes());
    }
    if (b.requires_grad()) {
      db = reduce_to_shape(mul(dy, kernels::binary(name, b, a, weight)), b.sizes());
    }
    return Gradients{da, db};
  });
}

}  // namespace

Tensor minimum(const Tensor& a, const Tensor& b) {
  return min_max("minimum", a, b, true);
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return min_max("maximum", a, b, false);
}

Tensor sign(const Tensor& x) {
  kernels::check_defined("sign", x);
  Tensor y = kernels::unary(x, [](auto v) {
    using T = decltype(v);
    return v > 0 ? T(1) : (v < 0 ? T(-1) : v);  // 0 stays 0 (and -0 stays -0), NaN stays NaN
  });
  // Piecewise constant: the gradient is 0, a tensor of zeros as torch returns.
  return record("sign", std::move(y), {x}, [shape = x.shape(), dtype = x.dtype()](const Tensor&) {
    return Gradients{zeros(shape, dtype)};
  });
}

}  // namespace xgrad

// Tests of the activations: values, numerical stability for extreme inputs, derivatives and errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "gradient_checks.hpp"

using namespace xgrad;
using xgrad::testing::check_gradients_twice;
using xgrad::testing::check_values;
using xgrad::testing::f32;
using xgrad::testing::f64;
using xgrad::testing::input;
using xgrad::testing::MessageContains;
using xgrad::testing::spaced;
using xgrad::testing::values;
using Inputs = std::vector<Tensor>;

namespace {

// Asserts that every value of a tensor is finite.
void check_finite(const Tensor& t) {
  for (double v : values(t)) CHECK(std::isfinite(v));
}

// Shapes of the input of an elementwise activation: scalar, vector, matrix.
const std::vector<Shape>& unary_shapes() {
  static const std::vector<Shape> shapes = {{}, {5}, {3, 4}};
  return shapes;
}

// Input shapes with an axis to normalize over, negative axes included.
const std::vector<std::pair<Shape, long>>& axis_cases() {
  static const std::vector<std::pair<Shape, long>> cases = {
      {{1}, 0},     {{5}, 0},       {{5}, -1},      {{3, 4}, 0},     {{3, 4}, 1},
      {{3, 4}, -1}, {{2, 3, 4}, 0}, {{2, 3, 4}, 1}, {{2, 3, 4}, -2}, {{2, 3, 4}, 2}};
  return cases;
}

double logistic(double x) {
  return 1 / (1 + std::exp(-x));
}

}  // namespace

TEST_CASE("sigmoid computes 1 / (1 + exp(-x))", "[autograd][activation]") {
  check_values(sigmoid(f64({0, 1, -2})), {3}, {0.5, logistic(1), logistic(-2)});
  check_values(sigmoid(f32({0, 1, -2})), {3}, {0.5, logistic(1), logistic(-2)}, 1e-6);
}

TEST_CASE("sigmoid of large logits is finite and saturates without overflow",
          "[autograd][activation]") {
  // exp(x) / (1 + exp(x)) is inf / inf at x = 1000, and 1 / (1 + exp(-x)) overflows exp at
  // x = -1000; the stable form never calls exp on a positive number.
  const double tiny = std::exp(-100.0) / (1 + std::exp(-100.0));  // 3.72e-44
  SECTION("float64") {
    Tensor x = f64({100, -100, 1000, -1000}, true);
    const Tensor y = sigmoid(x);
    check_finite(y);
    check_values(y, {4}, {1, tiny, 1, 0}, 1e-15);
    CHECK(values(y)[1] == Approx(tiny).epsilon(1e-12));
    sum(y).backward();
    check_finite(x.grad());
    check_values(x.grad(), {4}, {0, tiny, 0, 0}, 1e-15);  // s (1 - s)
  }
  SECTION("float32") {
    Tensor x = f32({100, -100, 1000, -1000}, true);
    const Tensor y = sigmoid(x);
    CHECK(y.dtype() == float32);
    check_finite(y);
    // exp(-100) is a float32 subnormal, so only its order of magnitude survives.
    check_values(y, {4}, {1, 0, 1, 0}, 1e-30);
    CHECK(values(y)[1] == Approx(tiny).epsilon(0.05));
    sum(y).backward();
    check_finite(x.grad());
  }
}

TEST_CASE("tanh computes the hyperbolic tangent", "[autograd][activation]") {
  check_values(tanh(f64({0, 1, -2, 30})), {4}, {0, std::tanh(1.0), std::tanh(-2.0), 1});
}

TEST_CASE("relu zeroes negative values and has gradient 0 at 0", "[autograd][activation]") {
  Tensor x = f64({-1, 0, 2.5}, true);
  const Tensor y = relu(x);
  check_values(y, {3}, {0, 0, 2.5});
  sum(y).backward();
  check_values(x.grad(), {3}, {0, 0, 1});
}

TEST_CASE("leaky_relu scales negative values by the slope", "[autograd][activation]") {
  Tensor x = f64({-2, 0, 3}, true);
  check_values(leaky_relu(x), {3}, {-0.02, 0, 3});
  const Tensor y = leaky_relu(x, 0.2);
  check_values(y, {3}, {-0.4, 0, 3});
  sum(y).backward();
  check_values(x.grad(), {3}, {0.2, 0.2, 1});  // the slope applies at 0 (x > 0 is false)
}

TEST_CASE("softplus computes log(1 + exp(beta x)) / beta, stable for large |x|",
          "[autograd][activation]") {
  auto reference = [](double x, double beta) { return std::log1p(std::exp(beta * x)) / beta; };
  check_values(softplus(f64({0, 1, -3})), {3}, {std::log(2.0), reference(1, 1), reference(-3, 1)});
  check_values(softplus(f64({0, 1, -3}), 2.0), {3},
               {std::log(2.0) / 2, reference(1, 2), reference(-3, 2)});
  // exp(1000) overflows; softplus(x) is x for large x and exp(x) for very negative x.
  const Tensor big = softplus(f64({1000, -1000, 100, -100}), 2.0);
  check_finite(big);
  check_values(big, {4}, {1000, 0, 100, std::exp(-200.0) / 2}, 1e-15);
  const Tensor single = softplus(f32({1000, -1000, 100}));
  CHECK(single.dtype() == float32);
  check_finite(single);
  check_values(single, {3}, {1000, 0, 100}, 1e-6);
}

TEST_CASE("softplus has gradient sigmoid(beta x)", "[autograd][activation]") {
  Tensor x = f64({0, 1, -3}, true);
  sum(softplus(x, 2.0)).backward();
  check_values(x.grad(), {3}, {0.5, logistic(2), logistic(-6)});
}

TEST_CASE("elementwise activations have correct first and second derivatives",
          "[autograd][activation]") {
  const Shape shape = GENERATE(from_range(unary_shapes()));
  INFO("x is " << format_shape(shape));
  SECTION("sigmoid") {
    check_gradients_twice([](const Inputs& x) { return sigmoid(x[0]); },
                          {input(shape, 11, -4.0, 4.0)});
  }
  SECTION("tanh") {
    check_gradients_twice([](const Inputs& x) { return tanh(x[0]); },
                          {input(shape, 12, -2.0, 2.0)});
  }
  SECTION("relu") {
    // spaced() keeps every value at least 0.02 from the kink at 0.
    check_gradients_twice([](const Inputs& x) { return relu(x[0]); }, {spaced(shape, 0.02)});
  }
  SECTION("leaky_relu") {
    // Away from the kink at 0, as for relu.
    check_gradients_twice([](const Inputs& x) { return leaky_relu(x[0]); }, {spaced(shape, 0.02)});
    check_gradients_twice([](const Inputs& x) { return leaky_relu(x[0], 0.3); },
                          {spaced(shape, 0.02)});
  }
  SECTION("softplus, beta 1 and 2") {
    check_gradients_twice([](const Inputs& x) { return softplus(x[0]); },
                          {input(shape, 13, -3.0, 3.0)});
    check_gradients_twice([](const Inputs& x) { return softplus(x[0], 2.0); },
                          {input(shape, 14, -3.0, 3.0)});
  }
}

TEST_CASE("softmax and log_softmax of a vector match their formulas", "[autograd][activation]") {
  const double total = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  const Tensor x = f64({1, 2, 3});
  check_values(softmax(x), {3},
               {std::exp(1.0) / total, std::exp(2.0) / total, std::exp(3.0) / total});
  check_values(log_softmax(x), {3},
               {1 - std::log(total), 2 - std::log(total), 3 - std::log(total)});
  check_values(softmax(f32({1, 2, 3})), {3},
               {std::exp(1.0) / total, std::exp(2.0) / total, std::exp(3.0) / total}, 1e-6);
}

TEST_CASE("softmax and log_softmax normalize along the given axis, negative axes included",
          "[autograd][activation]") {
  SECTION("a matrix by hand") {
    const Tensor x = f64({{0, std::log(3.0)}, {std::log(2.0), std::log(2.0)}});
    check_values(softmax(x, 1), {2, 2}, {0.25, 0.75, 0.5, 0.5});
    check_values(softmax(x, -1), {2, 2}, {0.25, 0.75, 0.5, 0.5});
    check_values(softmax(x, 0), {2, 2}, {1.0 / 3, 0.6, 2.0 / 3, 0.4});
    check_values(softmax(x, -2), {2, 2}, {1.0 / 3, 0.6, 2.0 / 3, 0.4});
    check_values(log_softmax(x, 0), {2, 2},
                 {std::log(1.0 / 3), std::log(0.6), std::log(2.0 / 3), std::log(0.4)});
  }
  SECTION("every axis of a 3-D tensor, against exp(x) / sum(exp(x))") {
    const Tensor x = input({2, 3, 4}, 15, -3.0, 3.0).detach();
    for (long axis : {0L, 1L, 2L, -1L, -2L, -3L}) {
      INFO("axis " << axis);
      const Tensor expected = exp(x) / sum(exp(x), {axis}, true);
      check_values(softmax(x, axis), {2, 3, 4}, values(expected));
      check_values(log_softmax(x, axis), {2, 3, 4}, values(log(expected)));
      check_values(sum(softmax(x, axis), {axis}), sum(x, {axis}).shape(),
                   std::vector<double>(24 / x.size(axis), 1.0));
    }
  }
}

TEST_CASE("softmax and log_softmax are finite and exact for logits near 1000",
          "[autograd][activation]") {
  // exp(1000) overflows; the maximum is subtracted first, so only exp(-0.5) and exp(-2000.5)
  // remain, and log_softmax never takes the log of the underflowed exp(-2000.5).
  const double p0 = 1 / (1 + std::exp(0.5));
  const double p1 = 1 / (1 + std::exp(-0.5));
  const double log_total = std::log1p(std::exp(-0.5));  // log of the sum after subtracting 1000.5
  const std::vector<double> expected_log = {-0.5 - log_total, -log_total, -2000.5 - log_total};
  SECTION("float64, last axis") {
    Tensor x = f64({1000, 1000.5, -1000}, true);
    const Tensor s = softmax(x);
    check_values(s, {3}, {p0, p1, 0});
    check_values(log_softmax(x), {3}, expected_log);
    // d log_softmax(x)[0] / dx = onehot(0) - softmax(x)
    log_softmax(x).backward(f64({1, 0, 0}));
    check_values(x.grad(), {3}, {1 - p0, -p1, 0});
  }
  SECTION("float32, last axis") {
    Tensor x = f32({1000, 1000.5, -1000}, true);
    const Tensor s = softmax(x);
    CHECK(s.dtype() == float32);
    check_values(s, {3}, {p0, p1, 0}, 1e-6);
    check_values(log_softmax(x), {3}, expected_log, 1e-6);
    sum(log_softmax(x) * f32({1, 0, 0})).backward();
    check_finite(x.grad());
    check_values(x.grad(), {3}, {1 - p0, -p1, 0}, 1e-6);
  }
  SECTION("float64, along axis 0 of a column") {
    const Tensor x = f64({1000, 1000.5, -1000}).reshape({3, 1});
    check_values(softmax(x, 0), {3, 1}, {p0, p1, 0});
    check_values(log_softmax(x, -2), {3, 1}, expected_log);
  }
}

TEST_CASE("softmax and log_softmax have correct first and second derivatives along any axis",
          "[autograd][activation]") {
  // A scalar has no axis to normalize over; shape (1,) is the smallest input.
  const auto [shape, axis] = GENERATE(from_range(axis_cases()));
  INFO("x is " << format_shape(shape) << ", axis " << axis);
  const long a = axis;
  const Tensor x = input(shape, 16, -3.0, 3.0);
  check_gradients_twice([a](const Inputs& in) { return softmax(in[0], a); }, {x});
  check_gradients_twice([a](const Inputs& in) { return log_softmax(in[0], a); }, {x});
}

TEST_CASE("softplus rejects a beta that is not positive and finite", "[autograd][activation]") {
  const Tensor x = f64({1, 2});
  CHECK_THROWS_MATCHES(softplus(x, 0.0), std::invalid_argument,
                       MessageContains("softplus: beta must be positive and finite, got 0"));
  CHECK_THROWS_MATCHES(softplus(x, -1.0), std::invalid_argument,
                       MessageContains("softplus: beta must be positive and finite, got -1"));
  CHECK_THROWS_MATCHES(softplus(x, std::numeric_limits<double>::infinity()), std::invalid_argument,
                       MessageContains("got inf"));
  CHECK_THROWS_MATCHES(softplus(x, std::numeric_limits<double>::quiet_NaN()), std::invalid_argument,
                       MessageContains("got nan"));
}

TEST_CASE("softmax and log_softmax reject an axis out of range", "[autograd][activation]") {
  const Tensor x = zeros({2, 3}, float64);
  CHECK_THROWS_MATCHES(
      softmax(x, 2), std::out_of_range,
      MessageContains("softmax: axis 2 out of range for a tensor of shape (2, 3)"));
  CHECK_THROWS_MATCHES(
      softmax(x, -3), std::out_of_range,
      MessageContains("softmax: axis -3 out of range for a tensor of shape (2, 3)"));
  CHECK_THROWS_MATCHES(
      log_softmax(x, 5), std::out_of_range,
      MessageContains("log_softmax: axis 5 out of range for a tensor of shape (2, 3)"));
}

TEST_CASE("softmax and log_softmax reject an empty axis", "[autograd][activation]") {
  const Tensor x = zeros({2, 0}, float64);
  CHECK_THROWS_MATCHES(softmax(x, 1), std::invalid_argument,
                       MessageContains("softmax: axis 1 of a tensor of shape (2, 0) is empty"));
  CHECK_THROWS_MATCHES(
      log_softmax(x), std::invalid_argument,
      MessageContains("log_softmax: axis -1 of a tensor of shape (2, 0) is empty"));
  // Normalizing along a non-empty axis of an empty tensor is fine: there is nothing to do.
  CHECK(softmax(x, 0).shape() == Shape{2, 0});
}

TEST_CASE("activations name themselves on an undefined tensor", "[autograd][activation]") {
  const Tensor undefined;
  const std::vector<std::pair<std::string, std::function<Tensor()>>> calls = {
      {"sigmoid", [&] { return sigmoid(undefined); }},
      {"tanh", [&] { return tanh(undefined); }},
      {"relu", [&] { return relu(undefined); }},
      {"leaky_relu", [&] { return leaky_relu(undefined); }},
      {"softplus", [&] { return softplus(undefined); }},
      {"softmax", [&] { return softmax(undefined); }},
      {"log_softmax", [&] { return log_softmax(undefined); }}};
  for (const auto& [name, call] : calls) {
    INFO(name);
    CHECK_THROWS_MATCHES(call(), std::invalid_argument,
                         MessageContains(name + ": tensor is undefined"));
  }
}

TEST_CASE("erf, gelu, silu, elu and hardtanh match their formulas", "[autograd][activation]") {
  const Tensor x = f64({-2.5, -0.5, 0, 0.75, 3});
  std::vector<double> erf_x, gelu_x, gelu_tanh_x, silu_x, elu_x, hardtanh_x;
  for (double v : values(x)) {
    erf_x.push_back(std::erf(v));
    gelu_x.push_back(0.5 * v * (1 + std::erf(v / std::sqrt(2.0))));
    const double k = std::sqrt(2 / M_PI);
    gelu_tanh_x.push_back(0.5 * v * (1 + std::tanh(k * (v + 0.044715 * v * v * v))));
    silu_x.push_back(v * logistic(v));
    elu_x.push_back(v > 0 ? v : 0.7 * (std::exp(v) - 1));
    hardtanh_x.push_back(std::min(std::max(v, -2.0), 0.5));
  }
  check_values(erf(x), {5}, erf_x);
  check_values(gelu(x), {5}, gelu_x);
  check_values(gelu(x, "tanh"), {5}, gelu_tanh_x);
  check_values(silu(x), {5}, silu_x);
  check_values(elu(x, 0.7), {5}, elu_x);
  check_values(hardtanh(x, -2.0, 0.5), {5}, hardtanh_x);
  check_values(gelu(f32({-2.5, -0.5, 0, 0.75, 3})), {5}, gelu_x, 1e-6);
  check_values(hardtanh(f64({-3, 0.2, 7})), {3}, {-1, 0.2, 1});
}

TEST_CASE("erf, gelu, silu, elu and hardtanh propagate NaN and stay finite for large inputs",
          "[autograd][activation]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const Tensor& y : {erf(f64({nan})), gelu(f64({nan})), gelu(f64({nan}), "tanh"),
                          silu(f64({nan})), elu(f64({nan})), hardtanh(f64({nan}))}) {
    CHECK(std::isnan(values(y)[0]));
  }
  check_values(gelu(f64({-40, 40})), {2}, {0, 40});
  check_values(silu(f64({-800, 800})), {2}, {0, 800});
  check_values(elu(f64({-800, 800})), {2}, {-1, 800});
  // the gradient of elu at large x is 1, not 0 * inf
  Tensor big = f64({800.0}, true);
  elu(big).sum().backward();
  check_values(big.grad(), {1}, {1});
}

TEST_CASE("erf, gelu, silu, elu and hardtanh have correct first and second derivatives",
          "[autograd][activation]") {
  const Shape shape = GENERATE(from_range(unary_shapes()));
  INFO("x is " << format_shape(shape));
  SECTION("erf") {
    check_gradients_twice([](const Inputs& x) { return erf(x[0]); }, {input(shape, 61, -2.0, 2.0)});
  }
  SECTION("gelu, exact and tanh") {
    check_gradients_twice([](const Inputs& x) { return gelu(x[0]); },
                          {input(shape, 62, -3.0, 3.0)});
    check_gradients_twice([](const Inputs& x) { return gelu(x[0], "tanh"); },
                          {input(shape, 63, -3.0, 3.0)});
  }
  SECTION("silu") {
    check_gradients_twice([](const Inputs& x) { return silu(x[0]); },
                          {input(shape, 64, -4.0, 4.0)});
  }
  SECTION("elu") {
    // spaced() keeps every value at least 0.02 from the kink of the second derivative at 0.
    check_gradients_twice([](const Inputs& x) { return elu(x[0], 0.7); }, {spaced(shape, 0.02)});
  }
  SECTION("hardtanh") {
    // spaced(shape, 0.02) lies in [-0.96, 1.0], at least 0.03 from the bounds -0.5 and 0.55.
    check_gradients_twice([](const Inputs& x) { return hardtanh(x[0], -0.5, 0.55); },
                          {spaced(shape, 0.02)});
  }
}

TEST_CASE("hardtanh's gradient is 0 at the bounds, as PyTorch's", "[autograd][activation]") {
  Tensor x = f64({-1, -0.5, 1, 2}, true);
  hardtanh(x).sum().backward();
  check_values(x.grad(), {4}, {0, 1, 0, 0});
}

TEST_CASE("gelu, elu and hardtanh reject bad parameters by name", "[autograd][activation]") {
  CHECK_THROWS_WITH(gelu(f64({1}), "fast"),
                    "gelu: approximate must be \"none\" or \"tanh\", got \"fast\"");
  CHECK_THROWS_WITH(elu(f64({1}), std::numeric_limits<double>::infinity()),
                    "elu: alpha must be finite, got inf");
  CHECK_THROWS_WITH(hardtanh(f64({1}), 1, -1),
                    "hardtanh: min_val must not exceed max_val (nor be NaN), got 1 and -1");
  CHECK_THROWS_WITH(erf(Tensor()), "erf: tensor is undefined");
}

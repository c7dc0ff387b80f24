// Tests of the elementwise ops: values, first and second derivatives, broadcasting and errors.
#include <catch2/catch.hpp>

#include <algorithm>
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
using xgrad::testing::f64;
using xgrad::testing::input;
using xgrad::testing::MessageContains;
using xgrad::testing::spaced;
using xgrad::testing::values;
using Inputs = std::vector<Tensor>;

namespace {

// Shapes of the single input of a unary op: scalar, vector, matrix.
const std::vector<Shape>& unary_shapes() {
  static const std::vector<Shape> shapes = {{}, {5}, {3, 4}};
  return shapes;
}

// Pairs of input shapes for a binary op: equal shapes, and each kind of broadcast.
const std::vector<std::pair<Shape, Shape>>& binary_shapes() {
  static const std::vector<std::pair<Shape, Shape>> shapes = {
      {{}, {}},         {{5}, {5}},          {{3, 4}, {3, 4}}, {{3, 4}, {4}},
      {{3, 1}, {1, 4}}, {{2, 3, 4}, {3, 1}}, {{}, {3, 4}},     {{3, 4}, {}}};
  return shapes;
}

using BinaryOp = std::function<Tensor(const Tensor&, const Tensor&)>;

// Checks first and second derivatives of `op` for every pair of binary_shapes(); the second input
// is drawn from [low_b, high_b).
void check_binary_op(const BinaryOp& op, double low_b = -1.0, double high_b = 1.0) {
  const auto [shape_a, shape_b] = GENERATE(from_range(binary_shapes()));
  INFO("a is " << format_shape(shape_a) << ", b is " << format_shape(shape_b));
  check_gradients_twice([&](const Inputs& x) { return op(x[0], x[1]); },
                        {input(shape_a, 1), input(shape_b, 2, low_b, high_b)});
}

// A float64 tensor of `shape` holding `v` in row-major order (for shapes such as (2, 1), which a
// nested initializer list cannot spell unambiguously).
Tensor f64(const Shape& shape, const std::vector<double>& v, bool requires_grad = false) {
  auto a = xt::xarray<double>::from_shape(shape);
  std::copy(v.begin(), v.end(), a.begin());
  return Tensor(std::move(a), requires_grad);
}

}  // namespace

TEST_CASE("add, sub, mul and div of tensors broadcast like NumPy", "[autograd][elementwise]") {
  const Tensor a = f64({{1, 2, 3}, {4, 5, 6}});
  const Tensor b = f64({10, 20, 40});
  SECTION("add") {
    check_values(add(a, b), {2, 3}, {11, 22, 43, 14, 25, 46});
    check_values(a + b, {2, 3}, {11, 22, 43, 14, 25, 46});
    check_values(b + a, {2, 3}, {11, 22, 43, 14, 25, 46});
  }
  SECTION("sub") {
    check_values(sub(a, b), {2, 3}, {-9, -18, -37, -6, -15, -34});
    check_values(a - b, {2, 3}, {-9, -18, -37, -6, -15, -34});
    check_values(b - a, {2, 3}, {9, 18, 37, 6, 15, 34});
  }
  SECTION("mul") {
    check_values(mul(a, b), {2, 3}, {10, 40, 120, 40, 100, 240});
    check_values(a * b, {2, 3}, {10, 40, 120, 40, 100, 240});
  }
  SECTION("div") {
    check_values(div(a, b), {2, 3}, {0.1, 0.1, 0.075, 0.4, 0.25, 0.15});
    check_values(a / b, {2, 3}, {0.1, 0.1, 0.075, 0.4, 0.25, 0.15});
  }
  SECTION("a column against a row gives the outer table") {
    check_values(f64({2, 1}, {1, 2}) + f64({{10, 20, 30}}), {2, 3}, {11, 21, 31, 12, 22, 32});
  }
  SECTION("a scalar tensor against a matrix") {
    check_values(mul(scalar_tensor(2.0, float64), a), {2, 3}, {2, 4, 6, 8, 10, 12});
  }
}

TEST_CASE("neg negates every element", "[autograd][elementwise]") {
  check_values(neg(f64({1.5, -2, 0})), {3}, {-1.5, 2, 0});
  check_values(-f64({{1, -2}}), {1, 2}, {-1, 2});
}

TEST_CASE("scalar forms and operators take the scalar on either side", "[autograd][elementwise]") {
  const Tensor x = f64({1, 2, 4});
  check_values(add(x, -1.0), {3}, {0, 1, 3});
  check_values(mul(x, -0.5), {3}, {-0.5, -1, -2});
  check_values(x + 2.0, {3}, {3, 4, 6});
  check_values(2.0 + x, {3}, {3, 4, 6});
  check_values(x - 2.0, {3}, {-1, 0, 2});
  check_values(2.0 - x, {3}, {1, 0, -2});
  check_values(x * 3.0, {3}, {3, 6, 12});
  check_values(3.0 * x, {3}, {3, 6, 12});
  check_values(x / 4.0, {3}, {0.25, 0.5, 1});
  check_values(4.0 / x, {3}, {4, 2, 1});
}

TEST_CASE("float32 inputs give float32 values and float32 gradients", "[autograd][elementwise]") {
  Tensor x(xt::xarray<float>{1.5f, -2.0f}, true);
  Tensor y(xt::xarray<float>{4.0f, 0.5f}, true);
  const Tensor z = 2.0 * x * y + x / 2.0 - 1.0;
  CHECK(z.dtype() == float32);
  check_values(z, {2}, {11.75, -4}, 1e-6);
  sum(z).backward();
  REQUIRE(x.grad().defined());
  CHECK(x.grad().dtype() == float32);
  CHECK(y.grad().dtype() == float32);
  check_values(x.grad(), {2}, {8.5, 1.5}, 1e-6);  // 2 y + 1/2
  check_values(y.grad(), {2}, {3, -4}, 1e-6);     // 2 x
}

TEST_CASE("add gradients match finite differences, broadcasting included",
          "[autograd][elementwise]") {
  check_binary_op([](const Tensor& a, const Tensor& b) { return add(a, b); });
}

TEST_CASE("sub gradients match finite differences, broadcasting included",
          "[autograd][elementwise]") {
  check_binary_op([](const Tensor& a, const Tensor& b) { return sub(a, b); });
}

TEST_CASE("mul gradients match finite differences, broadcasting included",
          "[autograd][elementwise]") {
  check_binary_op([](const Tensor& a, const Tensor& b) { return mul(a, b); });
}

TEST_CASE("div gradients match finite differences, broadcasting included",
          "[autograd][elementwise]") {
  // The divisor is drawn from [0.5, 2), away from the pole at 0.
  check_binary_op([](const Tensor& a, const Tensor& b) { return div(a, b); }, 0.5, 2.0);
}

TEST_CASE("binary gradients reach each input summed back to its own shape",
          "[autograd][elementwise]") {
  Tensor a = f64({{1, 2, 3}, {4, 5, 6}}, true);
  Tensor b = f64({2, 1}, {10, 20}, true);
  sum(a * b).backward();
  check_values(a.grad(), {2, 3}, {10, 10, 10, 20, 20, 20});
  check_values(b.grad(), {2, 1}, {6, 15});
}

TEST_CASE("neg and the scalar forms have correct first and second derivatives",
          "[autograd][elementwise]") {
  const Shape shape = GENERATE(from_range(unary_shapes()));
  INFO("x is " << format_shape(shape));
  // A positive x, away from the pole of s / x at 0.
  const Tensor x = input(shape, 3, 0.5, 2.0);
  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>> forms = {
      {"neg", [](const Tensor& t) { return neg(t); }},
      {"add(x, s)", [](const Tensor& t) { return add(t, 1.5); }},
      {"mul(x, s)", [](const Tensor& t) { return mul(t, -2.5); }},
      {"x + s", [](const Tensor& t) { return t + 1.5; }},
      {"s + x", [](const Tensor& t) { return 1.5 + t; }},
      {"x - s", [](const Tensor& t) { return t - 1.5; }},
      {"s - x", [](const Tensor& t) { return 1.5 - t; }},
      {"x * s", [](const Tensor& t) { return t * 3.0; }},
      {"s * x", [](const Tensor& t) { return 3.0 * t; }},
      {"x / s", [](const Tensor& t) { return t / 4.0; }},
      {"s / x", [](const Tensor& t) { return 4.0 / t; }}};
  for (const auto& [name, form] : forms) {
    INFO(name);
    check_gradients_twice([&form = form](const Inputs& in) { return form(in[0]); }, {x});
  }
}

TEST_CASE("scalar forms give the gradients their formulas say", "[autograd][elementwise]") {
  Tensor x = f64({1, 2, 4}, true);
  SECTION("s - x") {
    sum(2.0 - x).backward();
    check_values(x.grad(), {3}, {-1, -1, -1});
  }
  SECTION("x / s") {
    sum(x / 4.0).backward();
    check_values(x.grad(), {3}, {0.25, 0.25, 0.25});
  }
  SECTION("s / x") {
    sum(4.0 / x).backward();
    check_values(x.grad(), {3}, {-4, -1, -0.25});  // -s / x^2
  }
}

TEST_CASE("pow with a scalar exponent computes x ** p", "[autograd][elementwise]") {
  const Tensor x = f64({1, 2, 4});
  check_values(pow(x, 2.0), {3}, {1, 4, 16});
  check_values(pow(x, 0.5), {3}, {1, std::sqrt(2.0), 2});
  check_values(pow(x, -1.0), {3}, {1, 0.5, 0.25});
  check_values(pow(x, 3.0), {3}, {1, 8, 64});
  check_values(pow(x, 0.0), {3}, {1, 1, 1});
  check_values(pow(x, 1.0), {3}, {1, 2, 4});
  // Whole exponents of negative bases are defined.
  check_values(pow(f64({-2, -0.5}), 2.0), {2}, {4, 0.25});
  check_values(pow(f64({-2, -0.5}), 3.0), {2}, {-8, -0.125});
}

TEST_CASE("pow with a scalar exponent has correct first and second derivatives",
          "[autograd][elementwise]") {
  const Shape shape = GENERATE(from_range(unary_shapes()));
  const double exponent = GENERATE(2.0, 0.5, -1.0, 3.0, 0.0, 1.0);
  INFO("x is " << format_shape(shape) << ", exponent " << exponent);
  // Non-negative whole exponents are smooth everywhere, so x takes both signs; the others
  // need x > 0, kept at 0.5 or more, away from the singularity at 0.
  const bool whole_nonnegative =
      exponent == 0.0 || exponent == 1.0 || exponent == 2.0 || exponent == 3.0;
  const Tensor x = whole_nonnegative ? input(shape, 4) : input(shape, 4, 0.5, 2.0);
  check_gradients_twice([exponent](const Inputs& in) { return pow(in[0], exponent); }, {x});
}

TEST_CASE("pow with a scalar exponent gives p x^(p-1) as the gradient", "[autograd][elementwise]") {
  Tensor x = f64({1, 2, 4}, true);
  sum(pow(x, 3.0)).backward();
  check_values(x.grad(), {3}, {3, 12, 48});
  Tensor y = f64({1, 4}, true);
  sum(pow(y, 0.5)).backward();
  check_values(y.grad(), {2}, {0.5, 0.25});
}

TEST_CASE("pow with a tensor exponent computes base ** exponent with broadcasting",
          "[autograd][elementwise]") {
  check_values(pow(f64({2, 9, 4}), f64({3, 0.5, -1})), {3}, {8, 3, 0.25});
  check_values(pow(f64({2, 1}, {2, 3}), f64({0, 1, 2})), {2, 3}, {1, 2, 4, 1, 3, 9});
  Tensor base = f64({2.0}, true);
  Tensor exponent = f64({3.0}, true);
  sum(pow(base, exponent)).backward();
  check_values(base.grad(), {1}, {12});                     // e b^(e-1)
  check_values(exponent.grad(), {1}, {8 * std::log(2.0)});  // b^e log b
}

TEST_CASE("pow with a tensor exponent has correct derivatives for a positive base",
          "[autograd][elementwise]") {
  // The exponent's gradient needs log(base): the base is kept in [0.5, 2), away from 0.
  const auto [shape_a, shape_b] = GENERATE(from_range(binary_shapes()));
  INFO("base is " << format_shape(shape_a) << ", exponent is " << format_shape(shape_b));
  check_gradients_twice([](const Inputs& x) { return pow(x[0], x[1]); },
                        {input(shape_a, 5, 0.5, 2.0), input(shape_b, 6, -2.0, 2.0)});
}

TEST_CASE("exp, log and sqrt compute their values", "[autograd][elementwise]") {
  const double e = std::exp(1.0);
  check_values(exp(f64({0, 1, -2})), {3}, {1, e, std::exp(-2.0)});
  check_values(log(f64({1, e, 0.5})), {3}, {0, 1, -std::log(2.0)});
  check_values(sqrt(f64({0, 4, 2.25})), {3}, {0, 2, 1.5});
  check_values(exp(Tensor(xt::xarray<float>{1.0f})), {1}, {e}, 1e-6);
}

TEST_CASE("log of 0 is -inf and log of a negative value is NaN", "[autograd][elementwise]") {
  const std::vector<double> y = values(log(f64({0, -1})));
  CHECK(std::isinf(y[0]));
  CHECK(y[0] < 0);
  CHECK(std::isnan(y[1]));
}

TEST_CASE("exp, log and sqrt have correct first and second derivatives",
          "[autograd][elementwise]") {
  const Shape shape = GENERATE(from_range(unary_shapes()));
  INFO("x is " << format_shape(shape));
  SECTION("exp") {
    check_gradients_twice([](const Inputs& x) { return exp(x[0]); }, {input(shape, 7, -2.0, 2.0)});
  }
  SECTION("log") {
    // x in [0.5, 2): away from log's singularity at 0.
    check_gradients_twice([](const Inputs& x) { return log(x[0]); }, {input(shape, 8, 0.5, 2.0)});
  }
  SECTION("sqrt") {
    // x in [0.5, 2): away from sqrt's infinite slope at 0.
    check_gradients_twice([](const Inputs& x) { return sqrt(x[0]); }, {input(shape, 9, 0.5, 2.0)});
  }
}

TEST_CASE("sin and cos compute their values and derivatives", "[autograd][elementwise]") {
  const double pi = std::acos(-1.0);
  check_values(sin(f64({0, pi / 2, pi / 6})), {3}, {0, 1, 0.5}, 1e-12);
  check_values(cos(f64({0, pi, pi / 3})), {3}, {1, -1, 0.5}, 1e-12);
  Tensor x = f64({0.3, -1.2}, true);
  sum(sin(x) + cos(x)).backward();
  check_values(x.grad(), {2}, {std::cos(0.3) - std::sin(0.3), std::cos(-1.2) - std::sin(-1.2)});
  const Shape shape = GENERATE(from_range(unary_shapes()));
  INFO("x is " << format_shape(shape));
  check_gradients_twice([](const Inputs& in) { return sin(in[0]); }, {input(shape, 10, -3.0, 3.0)});
  check_gradients_twice([](const Inputs& in) { return cos(in[0]); }, {input(shape, 11, -3.0, 3.0)});
}

TEST_CASE("abs computes |x| and has gradient 0 at 0", "[autograd][elementwise]") {
  Tensor x = f64({-1.5, 0, 2}, true);
  const Tensor y = abs(x);
  check_values(y, {3}, {1.5, 0, 2});
  sum(y).backward();
  check_values(x.grad(), {3}, {-1, 0, 1});
}

TEST_CASE("abs has correct first and second derivatives away from 0", "[autograd][elementwise]") {
  const Shape shape = GENERATE(from_range(unary_shapes()));
  INFO("x is " << format_shape(shape));
  // spaced() keeps every value at least 0.02 from the kink at 0.
  check_gradients_twice([](const Inputs& x) { return abs(x[0]); }, {spaced(shape, 0.02)});
}

TEST_CASE("clamp limits values to [min, max]", "[autograd][elementwise]") {
  const Tensor x = f64({-2, -0.5, 0, 0.7, 3});
  check_values(clamp(x, -1, 0.5), {5}, {-1, -0.5, 0, 0.5, 0.5});
  check_values(clamp(x, 0), {5}, {0, 0, 0, 0.7, 3});  // no upper bound by default
  check_values(clamp(x, 0.25, 0.25), {5}, {0.25, 0.25, 0.25, 0.25, 0.25});
}

TEST_CASE("clamp passes the gradient inside its bounds, bounds included",
          "[autograd][elementwise]") {
  Tensor x = f64({-2, -1, 0, 0.5, 3}, true);
  sum(clamp(x, -1, 0.5)).backward();
  check_values(x.grad(), {5}, {0, 1, 1, 1, 0});
}

TEST_CASE("clamp has correct first and second derivatives away from its bounds",
          "[autograd][elementwise]") {
  const Shape shape = GENERATE(from_range(unary_shapes()));
  INFO("x is " << format_shape(shape));
  // spaced() values lie 0.03 or more from the bounds -0.5 and 0.4; some are inside, some outside.
  check_gradients_twice([](const Inputs& x) { return clamp(x[0], -0.5, 0.4); },
                        {spaced(shape, 0.02)});
  check_gradients_twice([](const Inputs& x) { return clamp(x[0], -0.5); }, {spaced(shape, 0.02)});
}

TEST_CASE("clamp rejects bounds in the wrong order or NaN", "[autograd][elementwise]") {
  const Tensor x = f64({1, 2});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_MATCHES(clamp(x, 1, -1), std::invalid_argument,
                       MessageContains("clamp: need min <= max; got min 1, max -1"));
  CHECK_THROWS_MATCHES(clamp(x, nan, 1), std::invalid_argument,
                       MessageContains("clamp: need min <= max; got min nan"));
  CHECK_THROWS_MATCHES(clamp(x, 0, nan), std::invalid_argument, MessageContains("max nan"));
}

TEST_CASE("minimum and maximum pick elementwise with broadcasting", "[autograd][elementwise]") {
  const Tensor a = f64({{1, 5}, {3, -2}});
  const Tensor b = f64({2, 4});
  check_values(minimum(a, b), {2, 2}, {1, 4, 2, -2});
  check_values(maximum(a, b), {2, 2}, {2, 5, 3, 4});
  check_values(maximum(b, a), {2, 2}, {2, 5, 3, 4});
}

TEST_CASE("minimum and maximum split the gradient equally at ties", "[autograd][elementwise]") {
  SECTION("minimum") {
    Tensor a = f64({1, 2, 3}, true);
    Tensor b = f64({2, 2, 2}, true);
    sum(minimum(a, b)).backward();
    check_values(a.grad(), {3}, {1, 0.5, 0});
    check_values(b.grad(), {3}, {0, 0.5, 1});
  }
  SECTION("maximum, with a broadcast scalar") {
    Tensor a = f64({1, 2, 3}, true);
    Tensor b = scalar_tensor(2.0, float64, true);
    sum(maximum(a, b)).backward();
    check_values(a.grad(), {3}, {0, 0.5, 1});
    check_values(b.grad(), {}, {1.5});
  }
}

TEST_CASE("minimum and maximum have correct derivatives away from ties",
          "[autograd][elementwise]") {
  // The offsets differ by 0.035, so no pair of compared values comes within 0.035 of a tie.
  const auto [shape_a, shape_b] = GENERATE(from_range(binary_shapes()));
  INFO("a is " << format_shape(shape_a) << ", b is " << format_shape(shape_b));
  const Inputs inputs = {spaced(shape_a, 0.02), spaced(shape_b, -0.015)};
  check_gradients_twice([](const Inputs& x) { return minimum(x[0], x[1]); }, inputs);
  check_gradients_twice([](const Inputs& x) { return maximum(x[0], x[1]); }, inputs);
}

TEST_CASE("add_ adds a scaled, broadcast tensor in place", "[autograd][elementwise]") {
  Tensor self = f64({{1, 2}, {3, 4}});
  const double* before = self.data<double>().data();
  add_(self, f64({{1, 1}, {1, 1}}));
  check_values(self, {2, 2}, {2, 3, 4, 5});
  add_(self, f64({10, 20}), 0.5);
  check_values(self, {2, 2}, {7, 13, 9, 15});
  add_(self, scalar_tensor(-1.0, float64), -2.0);
  check_values(self, {2, 2}, {9, 15, 11, 17});
  CHECK(self.data<double>().data() == before);  // the same buffer, updated in place
  Tensor single(xt::xarray<float>{1.0f, 2.0f});
  add_(single, Tensor(xt::xarray<float>{0.5f, 0.25f}), 2.0);
  check_values(single, {2}, {2, 2.5}, 1e-6);
}

TEST_CASE("add_ on a parameter is allowed under no_grad and is not recorded",
          "[autograd][elementwise]") {
  Tensor weight = f64({1, 2}, true);
  {
    no_grad guard;
    add_(weight, f64({0.5, 0.5}), -1.0);
  }
  check_values(weight, {2}, {0.5, 1.5});
  CHECK(weight.is_leaf());
  CHECK(weight.requires_grad());
  CHECK(weight.grad_fn() == nullptr);
}

TEST_CASE("add_ rejects a parameter in grad mode, dtype mismatches and bad shapes",
          "[autograd][elementwise]") {
  Tensor self = f64({{1, 2, 3}, {4, 5, 6}});
  SECTION("a tensor that requires grad while grad mode is on") {
    Tensor weight = f64({1, 2}, true);
    CHECK_THROWS_MATCHES(
        add_(weight, f64({1, 1})), std::runtime_error,
        MessageContains("add_: a leaf tensor that requires grad cannot be changed in place"));
  }
  SECTION("dtype mismatch") {
    CHECK_THROWS_MATCHES(add_(self, Tensor(xt::xarray<float>{1.0f})), std::invalid_argument,
                         MessageContains("add_: dtype mismatch: float64 and float32"));
  }
  SECTION("shapes that do not broadcast") {
    CHECK_THROWS_MATCHES(add_(self, f64({1, 2})), std::invalid_argument,
                         MessageContains("add_: cannot broadcast (2, 3) with (2,)"));
  }
  SECTION("other broadcasts, but to a larger shape than self") {
    Tensor row = f64({1, 2, 3});
    CHECK_THROWS_MATCHES(
        add_(row, self), std::invalid_argument,
        MessageContains(
            "add_: cannot broadcast (2, 3) into the shape (3,) of the tensor being changed"));
  }
  SECTION("undefined tensors") {
    Tensor undefined;
    CHECK_THROWS_MATCHES(add_(undefined, self), std::invalid_argument,
                         MessageContains("add_: tensor is undefined"));
    CHECK_THROWS_MATCHES(add_(self, Tensor()), std::invalid_argument,
                         MessageContains("add_: tensor is undefined"));
  }
  check_values(self, {2, 3}, {1, 2, 3, 4, 5, 6});  // a failed add_ changes nothing
}

TEST_CASE("binary ops name themselves and the dtypes or shapes they reject",
          "[autograd][elementwise]") {
  const std::vector<std::pair<std::string, BinaryOp>> ops = {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }}};
  const Tensor single = ones({2, 3}, float32);
  const Tensor twin = ones({2, 3}, float64);
  const Tensor tall = ones({4, 3}, float64);
  for (const auto& [name, op] : ops) {
    INFO(name);
    CHECK_THROWS_MATCHES(op(single, twin), std::invalid_argument,
                         MessageContains(name + ": dtype mismatch: float32 and float64"));
    CHECK_THROWS_MATCHES(op(twin, tall), std::invalid_argument,
                         MessageContains(name + ": cannot broadcast (2, 3) with (4, 3)"));
    CHECK_THROWS_MATCHES(op(twin, Tensor()), std::invalid_argument,
                         MessageContains(name + ": tensor is undefined"));
    CHECK_THROWS_MATCHES(op(Tensor(), twin), std::invalid_argument,
                         MessageContains(name + ": tensor is undefined"));
  }
  // Operators report the op they call.
  CHECK_THROWS_MATCHES(twin + tall, std::invalid_argument,
                       MessageContains("add: cannot broadcast (2, 3) with (4, 3)"));
  CHECK_THROWS_MATCHES(twin / single, std::invalid_argument,
                       MessageContains("div: dtype mismatch: float64 and float32"));
}

TEST_CASE("unary ops and scalar forms name themselves on an undefined tensor",
          "[autograd][elementwise]") {
  const Tensor undefined;
  const std::vector<std::pair<std::string, std::function<Tensor()>>> calls = {{"neg", [&] { return neg(undefined); }},
                                                                              {"add", [&] { return add(undefined, 1.0); }},
                                                                              {"mul", [&] { return mul(undefined, 2.0); }},
                                                                              {"div", [&] { return undefined / 2.0; }},
                                                                              {"rsub", [&] { return 2.0 - undefined; }},
                                                                              {"pow", [&] { return pow(undefined, 2.0); }},
                                                                              {"pow", [&] { return 2.0 / undefined; }},
                                                                              {"exp", [&] { return exp(undefined); }},
                                                                              {"log", [&] { return log(undefined); }},
                                                                              {"sqrt", [&] { return sqrt(undefined); }},
                                                                              {"abs", [&] { return abs(undefined); }},
                                                                              {"clamp", [&] { return clamp(undefined, 0, 1); }}};
  for (const auto& [name, call] : calls) {
    INFO(name);
    CHECK_THROWS_MATCHES(call(), std::invalid_argument,
                         MessageContains(name + ": tensor is undefined"));
  }
}

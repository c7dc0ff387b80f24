// Tests of sign, sin, cos and the dropout op: values, first and second derivatives over scalar,
// vector, matrix, 3-D inputs, and errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "gradient_checks.hpp"

using namespace xgrad;
using xgrad::testing::check_gradients_twice;
using xgrad::testing::check_values;
using xgrad::testing::f32;
using xgrad::testing::f64;
using xgrad::testing::input;
using xgrad::testing::MessageContains;
using xgrad::testing::values;
using Inputs = std::vector<Tensor>;

namespace {

const std::vector<Shape>& unary_shapes() {
  static const std::vector<Shape> shapes = {{}, {5}, {3, 4}, {2, 3, 4}};
  return shapes;
}

}  // namespace

TEST_CASE("sign is -1, 0 or 1 and has a zero gradient", "[autograd][pointwise]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> s = values(sign(f64({-2.5, 0, 3, nan})));
  CHECK(s[0] == -1);
  CHECK(s[1] == 0);
  CHECK(s[2] == 1);
  CHECK(std::isnan(s[3]));
  check_values(sign(f32({-1, 2})), {2}, {-1, 1});
  Tensor x = f64({-2, 3}, true);
  sum(sign(x)).backward();
  check_values(x.grad(), {2}, {0, 0});
}

TEST_CASE("sin and cos match the standard library", "[autograd][pointwise]") {
  check_values(sin(f64({0, 1, -2})), {3}, {0, std::sin(1.0), std::sin(-2.0)});
  check_values(cos(f64({0, 1, -2})), {3}, {1, std::cos(1.0), std::cos(-2.0)});
}

TEST_CASE("sign, sin and cos have correct first and second derivatives", "[autograd][pointwise]") {
  const Shape shape = GENERATE(from_range(unary_shapes()));
  INFO("x is " << format_shape(shape));
  check_gradients_twice([](const Inputs& x) { return sin(x[0]); }, {input(shape, 111)});
  check_gradients_twice([](const Inputs& x) { return cos(x[0]); }, {input(shape, 112)});
  // sign(x) x^2 = |x| x: the sign's zero gradient leaves 2 |x|; spaced() keeps x off 0
  check_gradients_twice([](const Inputs& x) { return mul(sign(x[0]), mul(x[0], x[0])); },
                        {xgrad::testing::spaced(shape, 0.01)});
}

TEST_CASE("dropout zeroes entries with probability p and scales the rest",
          "[autograd][pointwise]") {
  Generator generator(7);
  Tensor x = ones({1000}, float64, true);
  Tensor y = dropout(x, 0.25, true, generator);
  const std::vector<double> v = values(y);
  std::size_t kept = 0;
  for (double value : v) {
    CHECK((value == 0 || value == Approx(1 / 0.75)));
    if (value != 0) ++kept;
  }
  CHECK(kept > 700);
  CHECK(kept < 800);
  sum(y).backward();
  check_values(x.grad(), {1000}, v);  // the same mask
  // The mask is the one nn::Dropout draws from the same stream.
  Generator again(7);
  check_values(dropout(x.detach(), 0.25, true, again), {1000}, v);
}

TEST_CASE("dropout is the identity in evaluation or for p = 0, and zero for p = 1",
          "[autograd][pointwise]") {
  const Tensor x = f64({1, 2, 3});
  CHECK(dropout(x, 0.5, false).is_same(x));
  CHECK(dropout(x, 0.0).is_same(x));
  check_values(dropout(x, 1.0), {3}, {0, 0, 0});
}

TEST_CASE("dropout has correct first and second derivatives for a fixed mask",
          "[autograd][pointwise]") {
  // A fresh generator of the same seed on every call: the same mask each time, as gradcheck needs.
  check_gradients_twice(
      [](const Inputs& x) {
        Generator generator(3);
        return mul(dropout(x[0], 0.5, true, generator), x[0]);
      },
      {input({3, 4}, 114)});
}

TEST_CASE("dropout rejects p outside [0, 1]", "[autograd][pointwise]") {
  CHECK_THROWS_MATCHES(dropout(f64({1}), 1.5), std::invalid_argument,
                       MessageContains("dropout: p must be in [0, 1], got 1.5"));
  CHECK_THROWS_MATCHES(dropout(f64({1}), -0.1), std::invalid_argument,
                       MessageContains("dropout: p must be in [0, 1], got -0.1"));
}

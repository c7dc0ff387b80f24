// Tests of the statistics (min, logsumexp, var, std, norm) and cumsum: values over any axes,
// first and second derivatives over scalar, vector, matrix and 3-D inputs, and errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <tuple>
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

// 0, 1, ..., 23 as a (2, 3, 4) float64 tensor: element (a, b, c) is 12 a + 4 b + c.
Tensor counting() {
  return arange(0, 24, 1, float64).reshape({2, 3, 4});
}

// Shapes and axes: all axes of a scalar, vector, matrix and 3-D tensor, one axis, several,
// negative ones, with and without keepdim.
using ReductionCase = std::tuple<Shape, std::vector<long>, bool>;
const std::vector<ReductionCase>& reduction_cases() {
  static const std::vector<ReductionCase> cases = {{{}, {}, false},
                                                   {{5}, {}, false},
                                                   {{5}, {-1}, true},
                                                   {{3, 4}, {1}, false},
                                                   {{3, 4}, {-2}, true},
                                                   {{3, 4}, {}, false},
                                                   {{2, 3, 4}, {0, 2}, false},
                                                   {{2, 3, 4}, {-1, -2}, true},
                                                   {{2, 3, 4}, {1}, false}};
  return cases;
}

std::string describe(const ReductionCase& c) {
  std::string axes = "{";
  for (long axis : std::get<1>(c)) axes += (axes.size() > 1 ? ", " : "") + std::to_string(axis);
  return "x is " + format_shape(std::get<0>(c)) + ", axes " + axes + "}, keepdim " +
         (std::get<2>(c) ? "true" : "false");
}

}  // namespace

TEST_CASE("min takes the smallest value over the given axes", "[autograd][statistics]") {
  const Tensor x = counting();
  check_values(min(x), {}, {0});
  check_values(min(x, {1}), {2, 4}, {0, 1, 2, 3, 12, 13, 14, 15});
  check_values(min(x, {-1}, true), {2, 3, 1}, {0, 4, 8, 12, 16, 20});
}

TEST_CASE("min splits the gradient equally between ties", "[autograd][statistics]") {
  Tensor x = f64({{1, 1, 3}, {2, 5, 2}}, true);
  sum(min(x, {1})).backward();
  check_values(x.grad(), {2, 3}, {0.5, 0.5, 0, 0.5, 0, 0.5});
}

TEST_CASE("logsumexp equals log(sum(exp(x))) and does not overflow", "[autograd][statistics]") {
  const Tensor x = f64({{1, 2, 3}, {-1, 0, 4}});
  check_values(logsumexp(x, {1}), {2},
               {std::log(std::exp(1) + std::exp(2) + std::exp(3)),
                std::log(std::exp(-1) + std::exp(0) + std::exp(4))});
  check_values(logsumexp(f64({1000, 1000})), {}, {1000 + std::log(2.0)});
  const double inf = std::numeric_limits<double>::infinity();
  check_values(logsumexp(f64({-inf, -inf})), {}, {-inf});
}

TEST_CASE("logsumexp's gradient is the softmax along the reduced axes", "[autograd][statistics]") {
  Tensor x = f64({{1, 2, 3}, {-1, 0, 4}}, true);
  logsumexp(x, {-1}).backward(f64({1, 2}));
  const Tensor expected = mul(softmax(x.detach(), 1), f64({1, 2}).reshape({2, 1}));
  check_values(x.grad(), {2, 3}, values(expected));
}

TEST_CASE("var and std use N - 1 when unbiased and N otherwise", "[autograd][statistics]") {
  const Tensor x = f64({{1, 2, 3, 4}, {2, 4, 6, 8}});
  check_values(var(x, {1}), {2}, {5.0 / 3, 20.0 / 3});
  check_values(var(x, {1}, false), {2}, {1.25, 5});
  check_values(var(x, {-2}, true, true), {1, 4}, {0.5, 2, 4.5, 8});
  check_values(xgrad::std(x, {1}, false), {2}, {std::sqrt(1.25), std::sqrt(5.0)});
  check_values(var(x), {}, {values(var(x.reshape({8}), {0}))[0]});
  CHECK(std::isnan(var(f64({3})).item()));  // N - 1 = 0, as torch
}

TEST_CASE("norm computes the 1-, 2- and infinity-norms over the given axes",
          "[autograd][statistics]") {
  const Tensor x = f64({{3, -4}, {-1, 2}});
  const double inf = std::numeric_limits<double>::infinity();
  check_values(norm(x), {}, {std::sqrt(30.0)});
  check_values(norm(x, 2, {1}), {2}, {5, std::sqrt(5.0)});
  check_values(norm(x, 1, {0}), {2}, {4, 6});
  check_values(norm(x, inf, {-1}, true), {2, 1}, {4, 2});
}

TEST_CASE("the 2-norm's gradient at zero is zero", "[autograd][statistics]") {
  Tensor x = f64({{0, 0}, {3, 4}}, true);
  sum(norm(x, 2, {1})).backward();
  check_values(x.grad(), {2, 2}, {0, 0, 0.6, 0.8});
}

TEST_CASE("cumsum is the running sum along an axis", "[autograd][statistics]") {
  const Tensor x = f64({{1, 2, 3}, {4, 5, 6}});
  check_values(cumsum(x, 1), {2, 3}, {1, 3, 6, 4, 9, 15});
  check_values(cumsum(x, -2), {2, 3}, {1, 2, 3, 5, 7, 9});
  check_values(cumsum(scalar_tensor(2, float64), 0), {}, {2});
  Tensor y = f64({1, 2, 3}, true);
  cumsum(y, 0).backward(f64({1, 10, 100}));
  check_values(y.grad(), {3}, {111, 110, 100});  // the reversed running sum of the gradient
}

TEST_CASE("min, logsumexp, var, std and norm have correct first and second derivatives",
          "[autograd][statistics]") {
  const ReductionCase c = GENERATE(from_range(reduction_cases()));
  INFO(describe(c));
  const auto& [shape, axes, keepdim] = c;
  const std::vector<long> a = axes;
  const bool k = keepdim;
  const double inf = std::numeric_limits<double>::infinity();
  // spaced() values are 0.07 apart: no ties, so min and the inf-norm are differentiable, and
  // (offset 0.51) no zeros, where |x| has a kink.
  check_gradients_twice([a, k](const Inputs& x) { return min(x[0], a, k); }, {spaced(shape, 0.01)});
  check_gradients_twice([a, k](const Inputs& x) { return logsumexp(x[0], a, k); },
                        {input(shape, 41)});
  check_gradients_twice([a, k](const Inputs& x) { return norm(x[0], 2, a, k); },
                        {input(shape, 42)});
  check_gradients_twice([a, k](const Inputs& x) { return norm(x[0], 1, a, k); },
                        {spaced(shape, 0.51)});
  check_gradients_twice([a, k, inf](const Inputs& x) { return norm(x[0], inf, a, k); },
                        {spaced(shape, 0.51)});
  if (shape_numel(shape) > 1) {  // a variance of one element is NaN (unbiased) or 0
    check_gradients_twice([a, k](const Inputs& x) { return var(x[0], a, true, k); },
                          {input(shape, 43)});
    check_gradients_twice([a, k](const Inputs& x) { return xgrad::std(x[0], a, false, k); },
                          {input(shape, 44)});
  }
}

TEST_CASE("cumsum has correct first and second derivatives along any axis",
          "[autograd][statistics]") {
  using CumsumCase = std::tuple<Shape, long>;
  static const std::vector<CumsumCase> cases = {
      CumsumCase{Shape{}, 0},      CumsumCase{Shape{5}, 0},       CumsumCase{Shape{3, 4}, 1},
      CumsumCase{Shape{3, 4}, -2}, CumsumCase{Shape{2, 3, 4}, 1}, CumsumCase{Shape{2, 3, 4}, -1}};
  const CumsumCase c = GENERATE(from_range(cases));
  const long axis = std::get<1>(c);
  INFO("x is " << format_shape(std::get<0>(c)) << ", axis " << axis);
  check_gradients_twice([axis](const Inputs& x) { return mul(cumsum(x[0], axis), x[0]); },
                        {input(std::get<0>(c), 45)});
}

TEST_CASE("statistics reject bad axes, empty reductions and a bad p", "[autograd][statistics]") {
  const Tensor x = counting();
  CHECK_THROWS_MATCHES(min(x, {3}), std::out_of_range,
                       MessageContains("min: axis 3 out of range for a tensor of shape (2, 3, 4)"));
  CHECK_THROWS_MATCHES(logsumexp(x, {-4}), std::out_of_range,
                       MessageContains("logsumexp: axis -4 out of range"));
  CHECK_THROWS_MATCHES(var(x, {0, -3}), std::invalid_argument,
                       MessageContains("var: axis listed twice"));
  CHECK_THROWS_MATCHES(cumsum(x, 3), std::out_of_range,
                       MessageContains("cumsum: axis 3 out of range"));
  CHECK_THROWS_MATCHES(min(zeros({0, 3}, float64)), std::invalid_argument,
                       MessageContains("min: no elements to reduce in a tensor of shape (0, 3)"));
  CHECK_THROWS_MATCHES(logsumexp(zeros({2, 0}, float64), {1}), std::invalid_argument,
                       MessageContains("logsumexp: no elements to reduce"));
  CHECK_THROWS_MATCHES(norm(x, 3), std::invalid_argument,
                       MessageContains("norm: p must be 1, 2 or inf, got 3"));
  CHECK_THROWS_MATCHES(xgrad::std(Tensor()), std::invalid_argument,
                       MessageContains("std: tensor is undefined"));
}

TEST_CASE("statistics of float32 tensors match float64 to float32 precision",
          "[autograd][statistics]") {
  const Tensor x = input({3, 4}, 46).detach();
  const Tensor x32 = x.to(float32);
  const double inf = std::numeric_limits<double>::infinity();
  check_values(min(x32, {1}), {3}, values(min(x, {1})), 1e-6);
  check_values(logsumexp(x32, {-1}), {3}, values(logsumexp(x, {-1})), 1e-6);
  check_values(var(x32, {0}), {4}, values(var(x, {0})), 1e-6);
  check_values(xgrad::std(x32), {}, values(xgrad::std(x)), 1e-6);
  check_values(norm(x32, 2, {1}), {3}, values(norm(x, 2, {1})), 1e-6);
  check_values(norm(x32, inf), {}, values(norm(x, inf)), 1e-6);
  check_values(cumsum(x32, 0), {3, 4}, values(cumsum(x, 0)), 1e-6);
  CHECK(logsumexp(x32).dtype() == float32);
}

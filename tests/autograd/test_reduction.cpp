// Tests of the reductions (sum, mean, max), broadcast_to and reduce_to_shape: values over any
// axes, tie-splitting in max, derivatives and errors.
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <tuple>
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

// 0, 1, ..., 23 as a (2, 3, 4) float64 tensor: element (a, b, c) is 12 a + 4 b + c.
Tensor counting() {
  return arange(0, 24, 1, float64).reshape({2, 3, 4});
}

// Inputs and axes to reduce over: all axes, one, several, negative ones, with and without keepdim.
using ReductionCase = std::tuple<Shape, std::vector<long>, bool>;
const std::vector<ReductionCase>& reduction_cases() {
  static const std::vector<ReductionCase> cases = {{{}, {}, false},
                                                   {{}, {}, true},
                                                   {{5}, {}, false},
                                                   {{5}, {0}, true},
                                                   {{3, 4}, {1}, false},
                                                   {{3, 4}, {-2}, true},
                                                   {{3, 4}, {0, 1}, false},
                                                   {{2, 3, 4}, {0, 2}, false},
                                                   {{2, 3, 4}, {-1, -2}, true},
                                                   {{2, 3, 4}, {}, true},
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

TEST_CASE("sum adds over all axes, one axis or several, negative axes included",
          "[autograd][reduction]") {
  const Tensor x = counting();
  check_values(sum(x), {}, {276});
  check_values(sum(x, {0}), {3, 4}, {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34});
  check_values(sum(x, {1}), {2, 4}, {12, 15, 18, 21, 48, 51, 54, 57});
  check_values(sum(x, {-1}), {2, 3}, {6, 22, 38, 54, 70, 86});
  check_values(sum(x, {0, 2}), {3}, {60, 92, 124});
  check_values(sum(x, {-1, -3}), {3}, {60, 92, 124});
  check_values(sum(scalar_tensor(2.5, float64)), {}, {2.5});
  check_values(sum(zeros({0, 3}, float64)), {}, {0});  // an empty sum is 0
  check_values(sum(zeros({2, 0}, float64), {1}), {2}, {0, 0});
  const Tensor single = sum(Tensor(xt::xarray<float>{{1, 2}, {3, 5}}));
  CHECK(single.dtype() == float32);
  check_values(single, {}, {11}, 1e-6);
}

TEST_CASE("sum with keepdim keeps reduced axes with extent 1", "[autograd][reduction]") {
  const Tensor x = counting();
  check_values(sum(x, {}, true), {1, 1, 1}, {276});
  check_values(sum(x, {1}, true), {2, 1, 4}, {12, 15, 18, 21, 48, 51, 54, 57});
  check_values(sum(x, {-1, -3}, true), {1, 3, 1}, {60, 92, 124});
  check_values(x.sum({1}, true), {2, 1, 4}, {12, 15, 18, 21, 48, 51, 54, 57});
}

TEST_CASE("mean averages over the given axes", "[autograd][reduction]") {
  const Tensor x = counting();
  check_values(mean(x), {}, {11.5});
  check_values(mean(x, {1}), {2, 4}, {4, 5, 6, 7, 16, 17, 18, 19});
  check_values(mean(x, {-1}), {2, 3}, {1.5, 5.5, 9.5, 13.5, 17.5, 21.5});
  check_values(mean(x, {0, 2}, true), {1, 3, 1}, {7.5, 11.5, 15.5});
  check_values(x.mean({-2}, true), {2, 1, 4}, {4, 5, 6, 7, 16, 17, 18, 19});
  const Tensor single = mean(Tensor(xt::xarray<float>{{1, 2}, {3, 5}}), {0});
  CHECK(single.dtype() == float32);
  check_values(single, {2}, {2, 3.5}, 1e-6);
}

TEST_CASE("max takes the largest value over the given axes", "[autograd][reduction]") {
  const Tensor x = counting();
  check_values(max(x), {}, {23});
  check_values(max(x, {0}), {3, 4}, {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23});
  check_values(max(x, {-1}), {2, 3}, {3, 7, 11, 15, 19, 23});
  check_values(max(x, {0, 1}, true), {1, 1, 4}, {20, 21, 22, 23});
  check_values(x.max({-2}), {2, 4}, {8, 9, 10, 11, 20, 21, 22, 23});
  check_values(max(f64({-5, -2, -9})), {}, {-2});  // all negative: the start value is -inf
}

TEST_CASE("max sends the gradient to the maximum and splits it equally between ties",
          "[autograd][reduction]") {
  SECTION("along an axis") {
    Tensor x = f64({{1, 3, 3}, {2, 2, 2}}, true);
    const Tensor y = max(x, {1});
    check_values(y, {2}, {3, 2});
    y.backward(f64({2, 6}));
    check_values(x.grad(), {2, 3}, {0, 1, 1, 2, 2, 2});
  }
  SECTION("over all axes") {
    Tensor x = f64({{1, 3, 3}, {3, 0, 0}}, true);
    max(x).backward();
    check_values(x.grad(), {2, 3}, {0, 1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0});
  }
  SECTION("a single maximum takes it all") {
    Tensor x = f64({{1, 4}, {7, 2}}, true);
    max(x, {0}, true).backward(f64({{10, 20}}));
    check_values(x.grad(), {2, 2}, {0, 20, 10, 0});
  }
}

TEST_CASE("sum, mean and max have correct first and second derivatives over any axes",
          "[autograd][reduction]") {
  const ReductionCase c = GENERATE(from_range(reduction_cases()));
  INFO(describe(c));
  const auto& [shape, axes, keepdim] = c;
  const std::vector<long> a = axes;
  const bool k = keepdim;
  check_gradients_twice([a, k](const Inputs& x) { return sum(x[0], a, k); }, {input(shape, 21)});
  check_gradients_twice([a, k](const Inputs& x) { return mean(x[0], a, k); }, {input(shape, 22)});
  // spaced() values are 0.07 apart: no ties, so max is differentiable.
  check_gradients_twice([a, k](const Inputs& x) { return max(x[0], a, k); }, {spaced(shape, 0.01)});
}

TEST_CASE("broadcast_to repeats values along broadcast axes", "[autograd][reduction]") {
  check_values(broadcast_to(f64({1, 2, 3}), {2, 3}), {2, 3}, {1, 2, 3, 1, 2, 3});
  check_values(broadcast_to(f64({1, 2, 3}).reshape({3, 1}), {3, 2}), {3, 2}, {1, 1, 2, 2, 3, 3});
  check_values(broadcast_to(scalar_tensor(5, float64), {2, 2}), {2, 2}, {5, 5, 5, 5});
  const Tensor x = f64({1, 2});
  CHECK(broadcast_to(x, {2}).is_same(x));  // nothing to repeat
}

TEST_CASE("broadcast_to sums the gradient back over the repeated axes", "[autograd][reduction]") {
  Tensor x = f64({1, 2, 3}, true);
  broadcast_to(x.reshape({3, 1}), {2, 3, 4}).backward(ones({2, 3, 4}, float64));
  check_values(x.grad(), {3}, {8, 8, 8});
}

TEST_CASE("broadcast_to has correct first and second derivatives", "[autograd][reduction]") {
  // Equal shapes are left out: broadcast_to then returns its input itself (checked above), and
  // gradcheck cannot difference an output that aliases the input it perturbs.
  const auto [from, to] = GENERATE(values<std::pair<Shape, Shape>>(
      {{{}, {3}}, {{3}, {2, 3}}, {{3, 1}, {3, 4}}, {{3, 1}, {2, 3, 4}}, {{1, 4}, {3, 4}}}));
  INFO(format_shape(from) << " to " << format_shape(to));
  const Shape target = to;
  check_gradients_twice([target](const Inputs& x) { return broadcast_to(x[0], target); },
                        {input(from, 23)});
}

TEST_CASE("reduce_to_shape sums a broadcast gradient back to an input's shape",
          "[autograd][reduction]") {
  const Tensor g = counting();
  check_values(reduce_to_shape(g, {3, 1}), {3, 1}, {60, 92, 124});
  check_values(reduce_to_shape(g, {4}), {4}, {60, 66, 72, 78});
  check_values(reduce_to_shape(g, {}), {}, {276});
  check_values(reduce_to_shape(g, {1, 3, 1}), {1, 3, 1}, {60, 92, 124});
  check_values(reduce_to_shape(g, {2, 1, 4}), {2, 1, 4}, {12, 15, 18, 21, 48, 51, 54, 57});
  CHECK(reduce_to_shape(g, {2, 3, 4}).is_same(g));  // shapes agree: the gradient itself
}

TEST_CASE("reduce_to_shape has correct first and second derivatives", "[autograd][reduction]") {
  const auto [from, to] = GENERATE(values<std::pair<Shape, Shape>>(
      {{{3, 4}, {4}}, {{3, 4}, {3, 1}}, {{2, 3, 4}, {3, 1}}, {{2, 3, 4}, {}}, {{3, 4}, {1, 1}}}));
  INFO(format_shape(from) << " to " << format_shape(to));
  const Shape target = to;
  check_gradients_twice([target](const Inputs& x) { return reduce_to_shape(x[0], target); },
                        {input(from, 24)});
}

TEST_CASE("reductions reject axes out of range and repeated axes", "[autograd][reduction]") {
  const Tensor x = counting();
  const std::vector<std::pair<std::string, std::function<Tensor(const std::vector<long>&)>>> ops = {
      {"sum", [&](const std::vector<long>& axes) { return sum(x, axes); }},
      {"mean", [&](const std::vector<long>& axes) { return mean(x, axes); }},
      {"max", [&](const std::vector<long>& axes) { return max(x, axes); }}};
  for (const auto& [name, op] : ops) {
    INFO(name);
    CHECK_THROWS_MATCHES(
        op({3}), std::out_of_range,
        MessageContains(name + ": axis 3 out of range for a tensor of shape (2, 3, 4)"));
    CHECK_THROWS_MATCHES(
        op({0, -4}), std::out_of_range,
        MessageContains(name + ": axis -4 out of range for a tensor of shape (2, 3, 4)"));
    CHECK_THROWS_MATCHES(
        op({1, -2}), std::invalid_argument,
        MessageContains(name + ": axis listed twice for a tensor of shape (2, 3, 4)"));
  }
  CHECK_THROWS_MATCHES(sum(scalar_tensor(1, float64), {0}), std::out_of_range,
                       MessageContains("sum: axis 0 out of range for a tensor of shape ()"));
}

TEST_CASE("mean and max reject an empty reduction", "[autograd][reduction]") {
  CHECK_THROWS_MATCHES(mean(zeros({0}, float64)), std::invalid_argument,
                       MessageContains("mean: no elements to average in a tensor of shape (0,)"));
  CHECK_THROWS_MATCHES(mean(zeros({2, 0}, float64), {1}), std::invalid_argument,
                       MessageContains("mean: no elements to average in a tensor of shape (2, 0)"));
  CHECK_THROWS_MATCHES(max(zeros({0, 3}, float64)), std::invalid_argument,
                       MessageContains("max: no elements to compare in a tensor of shape (0, 3)"));
  CHECK_THROWS_MATCHES(max(zeros({0, 3}, float64), {0}), std::invalid_argument,
                       MessageContains("max: no elements to compare in a tensor of shape (0, 3)"));
  // Reducing a non-empty axis of an empty tensor leaves an empty result, not an error.
  CHECK(max(zeros({0, 3}, float64), {1}).shape() == Shape{0});
  CHECK(mean(zeros({0, 3}, float64), {1}).shape() == Shape{0});
}

TEST_CASE("broadcast_to and reduce_to_shape reject shapes that do not match",
          "[autograd][reduction]") {
  const Tensor x = ones({2, 3}, float64);
  CHECK_THROWS_MATCHES(
      broadcast_to(x, {4, 3}), std::invalid_argument,
      MessageContains("broadcast_to: cannot broadcast (2, 3)") && MessageContains("(4, 3)"));
  CHECK_THROWS_MATCHES(broadcast_to(x, {3}), std::invalid_argument,
                       MessageContains("broadcast_to: cannot broadcast (2, 3) to (3,)"));
  CHECK_THROWS_MATCHES(broadcast_to(ones({4, 1}, float64), {1, 3}), std::invalid_argument,
                       MessageContains("broadcast_to: cannot broadcast (4, 1) to (1, 3)"));
  CHECK_THROWS_MATCHES(reduce_to_shape(x, {4, 3}), std::invalid_argument,
                       MessageContains("reduce_to_shape: cannot reduce (2, 3) to (4, 3)"));
  CHECK_THROWS_MATCHES(reduce_to_shape(x, {2}), std::invalid_argument,
                       MessageContains("reduce_to_shape: cannot reduce (2, 3) to (2,)"));
  CHECK_THROWS_MATCHES(reduce_to_shape(ones({3}, float64), {2, 3}), std::invalid_argument,
                       MessageContains("reduce_to_shape: cannot reduce (3,) to (2, 3)"));
}

TEST_CASE("reductions name themselves on an undefined tensor", "[autograd][reduction]") {
  const Tensor undefined;
  const std::vector<std::pair<std::string, std::function<Tensor()>>> calls = {
      {"sum", [&] { return sum(undefined); }},
      {"mean", [&] { return mean(undefined, {0}); }},
      {"max", [&] { return max(undefined, {}, true); }},
      {"broadcast_to", [&] { return broadcast_to(undefined, {2}); }},
      {"reduce_to_shape", [&] { return reduce_to_shape(undefined, {2}); }}};
  for (const auto& [name, call] : calls) {
    INFO(name);
    CHECK_THROWS_MATCHES(call(), std::invalid_argument,
                         MessageContains(name + ": tensor is undefined"));
  }
}

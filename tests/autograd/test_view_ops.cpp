// Tests of squeeze, unsqueeze, permute, expand and flatten: shapes and values as torch gives them,
// first and second derivatives, negative axes, and errors.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gradient_checks.hpp"

using namespace xgrad;
using xgrad::testing::check_gradients_twice;
using xgrad::testing::check_values;
using xgrad::testing::f64;
using xgrad::testing::input;
using xgrad::testing::MessageContains;
using xgrad::testing::values;
using Inputs = std::vector<Tensor>;

namespace {

// 0, 1, ..., 23 as a (2, 3, 4) float64 tensor: element (a, b, c) is 12 a + 4 b + c.
Tensor counting() {
  return arange(0, 24, 1, float64).reshape({2, 3, 4});
}

}  // namespace

TEST_CASE("squeeze removes axes of extent 1 and unsqueeze inserts one", "[autograd][view_ops]") {
  const Tensor x = zeros({1, 3, 1, 2}, float64);
  CHECK(squeeze(x).shape() == Shape{3, 2});
  CHECK(squeeze(x, 2).shape() == Shape{1, 3, 2});
  CHECK(squeeze(x, -4).shape() == Shape{3, 1, 2});
  CHECK(squeeze(x, 1).shape() == Shape{1, 3, 1, 2});  // extent 3: unchanged, as torch
  CHECK(squeeze(scalar_tensor(1, float64), 0).shape() == Shape{});
  const Tensor v = f64({1, 2, 3});
  CHECK(unsqueeze(v, 0).shape() == Shape{1, 3});
  CHECK(unsqueeze(v, 1).shape() == Shape{3, 1});
  CHECK(unsqueeze(v, -1).shape() == Shape{3, 1});
  CHECK(unsqueeze(v, -2).shape() == Shape{1, 3});
  CHECK(unsqueeze(scalar_tensor(1, float64), 0).shape() == Shape{1});
  check_values(unsqueeze(v, 1), {3, 1}, {1, 2, 3});
}

TEST_CASE("permute reorders axes as torch.permute", "[autograd][view_ops]") {
  const Tensor x = counting();
  const Tensor y = permute(x, {2, 0, 1});
  REQUIRE(y.shape() == Shape{4, 2, 3});
  // y[c, a, b] = x[a, b, c] = 12 a + 4 b + c
  check_values(select(y, 0, 1), {2, 3}, {1, 5, 9, 13, 17, 21});
  check_values(permute(x, {-1, -3, -2}), {4, 2, 3}, values(y));
  check_values(permute(f64({{1, 2}, {3, 4}}), {1, 0}), {2, 2}, {1, 3, 2, 4});
}

TEST_CASE("expand repeats extent-1 axes and adds leading ones", "[autograd][view_ops]") {
  const Tensor x = f64({1, 2}).reshape({2, 1});
  check_values(expand(x, {2, 3}), {2, 3}, {1, 1, 1, 2, 2, 2});
  check_values(expand(x, {2, -1, 2}), {2, 2, 2}, {1, 1, 2, 2, 1, 1, 2, 2});
  Tensor y = f64({1, 2}).reshape({2, 1}).detach().requires_grad_();
  expand(y, {3, 2, 4}).backward(ones({3, 2, 4}, float64));
  check_values(y.grad(), {2, 1}, {12, 12});
}

TEST_CASE("flatten merges a range of axes", "[autograd][view_ops]") {
  const Tensor x = counting();
  CHECK(flatten(x).shape() == Shape{24});
  CHECK(flatten(x, 1).shape() == Shape{2, 12});
  CHECK(flatten(x, 0, 1).shape() == Shape{6, 4});
  CHECK(flatten(x, -2, -1).shape() == Shape{2, 12});
  CHECK(flatten(x, 1, 1).shape() == Shape{2, 3, 4});
  CHECK(flatten(scalar_tensor(3, float64)).shape() == Shape{1});
  check_values(flatten(x, 1), {2, 12}, values(x));
}

TEST_CASE("view ops have correct first and second derivatives", "[autograd][view_ops]") {
  // Each is followed by a multiplication with its own input's values, so the second derivative is
  // not trivially zero.
  const Tensor x3 = input({2, 1, 3}, 81);
  check_gradients_twice([](const Inputs& x) { return mul(squeeze(x[0]), squeeze(x[0])); }, {x3});
  check_gradients_twice([](const Inputs& x) { return mul(squeeze(x[0], -2), squeeze(x[0], 1)); },
                        {x3});
  check_gradients_twice(
      [](const Inputs& x) { return mul(unsqueeze(x[0], -1), unsqueeze(x[0], 0)); },
      {input({3}, 82)});
  check_gradients_twice(
      [](const Inputs& x) {
        return mul(permute(x[0], {2, 0, 1}), x[1]);
      },
      {input({2, 3, 4}, 83), input({4, 2, 3}, 84)});
  check_gradients_twice(
      [](const Inputs& x) {
        return mul(permute(x[0], {1, 0}), permute(x[0], {-1, -2}));
      },
      {input({3, 2}, 85)});
  check_gradients_twice(
      [](const Inputs& x) {
        return mul(expand(x[0], {2, 3, -1}), x[1]);
      },
      {input({3, 1}, 86), input({2, 3, 1}, 87)});
  check_gradients_twice([](const Inputs& x) { return mul(expand(x[0], {4}), x[0]); },
                        {input({}, 88)});
  check_gradients_twice([](const Inputs& x) { return mul(flatten(x[0], 1, -1), flatten(x[0], 1)); },
                        {input({2, 3, 2}, 89)});
  check_gradients_twice([](const Inputs& x) { return mul(flatten(x[0]), x[0]); }, {input({}, 90)});
}

TEST_CASE("view ops reject bad axes, bad permutations and shapes they cannot expand to",
          "[autograd][view_ops]") {
  const Tensor x = counting();
  CHECK_THROWS_MATCHES(
      squeeze(x, 3), std::out_of_range,
      MessageContains("squeeze: axis 3 out of range for a tensor of shape (2, 3, 4)"));
  CHECK_THROWS_MATCHES(unsqueeze(x, 4), std::out_of_range,
                       MessageContains("unsqueeze: axis 4 out of range"));
  CHECK_THROWS_MATCHES(unsqueeze(x, -5), std::out_of_range,
                       MessageContains("unsqueeze: axis -5 out of range"));
  CHECK_THROWS_MATCHES(
      permute(x, {0, 0, 1}), std::invalid_argument,
      MessageContains("permute: (0, 0, 1) is not a permutation of the 3 axes of (2, 3, 4)"));
  CHECK_THROWS_MATCHES(permute(x, {1, 0}), std::invalid_argument,
                       MessageContains("permute: (1, 0) is not a permutation of the 3 axes"));
  CHECK_THROWS_MATCHES(expand(f64({{1, 2, 3}}), {4, 2}), std::invalid_argument,
                       MessageContains("expand: cannot expand (1, 3) to (4, 2)"));
  CHECK_THROWS_MATCHES(expand(x, {3, 4}), std::invalid_argument,
                       MessageContains("expand: cannot expand (2, 3, 4) to (3, 4)"));
  CHECK_THROWS_MATCHES(expand(f64({1}), {-1, 2}), std::invalid_argument,
                       MessageContains("expand: cannot expand (1,) to (-1, 2)"));
  CHECK_THROWS_MATCHES(flatten(x, 2, 1), std::invalid_argument,
                       MessageContains("flatten: start axis 2 comes after end axis 1"));
  CHECK_THROWS_MATCHES(flatten(x, 0, 3), std::out_of_range,
                       MessageContains("flatten: axis 3 out of range"));
}

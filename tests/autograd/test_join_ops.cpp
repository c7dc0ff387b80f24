// Tests of stack, split, chunk, pad, repeat, tril and triu: values as torch gives them, first and
// second derivatives, negative axes, and errors.
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

// The pieces' shapes.
std::vector<Shape> shapes(const std::vector<Tensor>& pieces) {
  std::vector<Shape> out;
  for (const Tensor& t : pieces) out.push_back(t.shape());
  return out;
}

// Every piece scaled by a different weight and summed into one number, so each piece's gradient
// differs: what a gradient check of a list-valued op looks at.
Tensor weigh(const std::vector<Tensor>& pieces) {
  Tensor total = scalar_tensor(0, float64);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    total = total + sum(mul(pieces[i], pieces[i])) * static_cast<double>(i + 1);
  }
  return total;
}

}  // namespace

TEST_CASE("stack joins tensors along a new axis", "[autograd][join_ops]") {
  const Tensor a = f64({1, 2, 3});
  const Tensor b = f64({4, 5, 6});
  check_values(stack({a, b}), {2, 3}, {1, 2, 3, 4, 5, 6});
  check_values(stack({a, b}, 1), {3, 2}, {1, 4, 2, 5, 3, 6});
  check_values(stack({a, b}, -1), {3, 2}, {1, 4, 2, 5, 3, 6});
  check_values(stack({scalar_tensor(1, float64), scalar_tensor(2, float64)}), {2}, {1, 2});
}

TEST_CASE("split and chunk cut a tensor into pieces along an axis", "[autograd][join_ops]") {
  const Tensor x = arange(0, 10, 1, float64).reshape({2, 5});
  const std::vector<Tensor> pieces = split(x, 2, 1);
  CHECK(shapes(pieces) == std::vector<Shape>{{2, 2}, {2, 2}, {2, 1}});
  check_values(pieces[2], {2, 1}, {4, 9});
  const std::vector<Tensor> sized = split(x, {1, 4}, -1);
  CHECK(shapes(sized) == std::vector<Shape>{{2, 1}, {2, 4}});
  check_values(sized[1], {2, 4}, {1, 2, 3, 4, 6, 7, 8, 9});
  CHECK(shapes(chunk(x, 2, 1)) == std::vector<Shape>{{2, 3}, {2, 2}});
  CHECK(shapes(chunk(x, 3, 0)) == std::vector<Shape>{{1, 5}, {1, 5}});  // fewer, as torch
  CHECK(shapes(chunk(f64({1, 2, 3, 4, 5, 6}), 4)) == std::vector<Shape>{{2}, {2}, {2}});
}

TEST_CASE("pad adds constant values, pairs starting from the last axis", "[autograd][join_ops]") {
  const Tensor x = f64({{1, 2}, {3, 4}});
  check_values(pad(x, {1, 0}), {2, 3}, {0, 1, 2, 0, 3, 4});
  check_values(pad(x, {0, 1, 1, 0}, -1), {3, 3}, {-1, -1, -1, 1, 2, -1, 3, 4, -1});
  Tensor y = f64({{1, 2}, {3, 4}}, true);
  pad(y, {1, 1, 1, 1}).backward(arange(0, 16, 1, float64).reshape({4, 4}));
  check_values(y.grad(), {2, 2}, {5, 6, 9, 10});  // the gradient of the inner block
}

TEST_CASE("repeat tiles a tensor as torch.Tensor.repeat", "[autograd][join_ops]") {
  const Tensor x = f64({{1, 2}});
  check_values(repeat(x, {2, 2}), {2, 4}, {1, 2, 1, 2, 1, 2, 1, 2});
  check_values(repeat(f64({1, 2}), {2, 1, 2}), {2, 1, 4}, {1, 2, 1, 2, 1, 2, 1, 2});
  Tensor y = f64({1, 2}, true);
  repeat(y, {3}).backward(arange(0, 6, 1, float64));
  check_values(y.grad(), {2}, {0 + 2 + 4, 1 + 3 + 5});
}

TEST_CASE("tril and triu keep a triangle, offset by the diagonal", "[autograd][join_ops]") {
  const Tensor x = arange(1, 10, 1, float64).reshape({3, 3});
  check_values(tril(x), {3, 3}, {1, 0, 0, 4, 5, 0, 7, 8, 9});
  check_values(tril(x, -1), {3, 3}, {0, 0, 0, 4, 0, 0, 7, 8, 0});
  check_values(triu(x), {3, 3}, {1, 2, 3, 0, 5, 6, 0, 0, 9});
  check_values(triu(x, 1), {3, 3}, {0, 2, 3, 0, 0, 6, 0, 0, 0});
  const Tensor stacked = triu(stack({x, x}), 2);  // every matrix of the batch
  check_values(stacked, {2, 3, 3}, {0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("join ops have correct first and second derivatives", "[autograd][join_ops]") {
  check_gradients_twice(
      [](const Inputs& x) {
        return mul(stack({x[0], x[1]}, -1), stack({x[1], x[0]}, -1));
      },
      {input({2, 3}, 91), input({2, 3}, 92)});
  check_gradients_twice(
      [](const Inputs& x) {
        return mul(stack({x[0], x[0]}), x[0]);
      },
      {input({}, 93)});
  check_gradients_twice([](const Inputs& x) { return weigh(split(x[0], 2, -1)); },
                        {input({2, 3, 5}, 94)});
  check_gradients_twice(
      [](const Inputs& x) {
        return weigh(split(x[0], {1, 2}, 0));
      },
      {input({3}, 95)});
  check_gradients_twice([](const Inputs& x) { return weigh(chunk(x[0], 2, 1)); },
                        {input({2, 3}, 96)});
  check_gradients_twice(
      [](const Inputs& x) {
        return mul(pad(x[0], {1, 2, 0, 1}, 0.5), pad(x[0], {2, 1, 1, 0}));
      },
      {input({2, 3}, 97)});
  check_gradients_twice(
      [](const Inputs& x) {
        return mul(pad(x[0], {1, 1}), pad(x[0], {2, 0}));
      },
      {input({2, 2, 2}, 98)});
  check_gradients_twice(
      [](const Inputs& x) {
        return mul(repeat(x[0], {2, 1, 3}), repeat(x[0], {2, 1, 3}));
      },
      {input({2, 2}, 99)});
  check_gradients_twice([](const Inputs& x) { return mul(repeat(x[0], {3}), repeat(x[0], {3})); },
                        {input({}, 100)});
  check_gradients_twice([](const Inputs& x) { return mul(tril(x[0], -1), triu(x[0])); },
                        {input({2, 3, 4}, 101)});
  check_gradients_twice([](const Inputs& x) { return mul(tril(x[0], 1), x[0]); },
                        {input({3, 3}, 102)});
}

TEST_CASE("join ops reject mismatched shapes, bad sizes and bad padding", "[autograd][join_ops]") {
  const Tensor x = zeros({2, 3}, float64);
  CHECK_THROWS_MATCHES(stack({x, zeros({2, 4}, float64)}), std::invalid_argument,
                       MessageContains("stack: tensor 1 has shape (2, 4), tensor 0 has (2, 3); all "
                                       "must have the same shape"));
  CHECK_THROWS_MATCHES(stack({}), std::invalid_argument,
                       MessageContains("stack: no tensors given"));
  CHECK_THROWS_MATCHES(stack({x, x}, 3), std::out_of_range,
                       MessageContains("stack: axis 3 out of range for tensors of shape (2, 3) (a "
                                       "new axis goes from -3 to 2)"));
  CHECK_THROWS_MATCHES(split(x, {2, 2}, 1), std::invalid_argument,
                       MessageContains("split: sizes (2, 2) add up to 4, but axis 1 has extent 3"));
  CHECK_THROWS_MATCHES(split(x, 0, 1), std::invalid_argument,
                       MessageContains("split: split_size must be positive, got 0"));
  CHECK_THROWS_MATCHES(split(x, 1, 2), std::out_of_range,
                       MessageContains("split: axis 2 out of range for a tensor of shape (2, 3)"));
  CHECK_THROWS_MATCHES(chunk(x, 0), std::invalid_argument,
                       MessageContains("chunk: chunks must be positive, got 0"));
  CHECK_THROWS_MATCHES(pad(x, {1, 1, 1}), std::invalid_argument,
                       MessageContains("pad: padding (1, 1, 1) must be (before, after) pairs, at "
                                       "most one per axis of (2, 3)"));
  CHECK_THROWS_MATCHES(pad(x, {1, 1, 1, 1, 1, 1}), std::invalid_argument,
                       MessageContains("pad: padding (1, 1, 1, 1, 1, 1) must be"));
  CHECK_THROWS_MATCHES(pad(x, {-1, 0}), std::invalid_argument,
                       MessageContains("pad: negative padding in (-1, 0)"));
  CHECK_THROWS_MATCHES(
      repeat(x, {2}), std::invalid_argument,
      MessageContains("repeat: repeats (2,) must be non-negative, one at least per "
                      "axis of (2, 3)"));
  CHECK_THROWS_MATCHES(tril(f64({1, 2})), std::invalid_argument,
                       MessageContains("tril: needs a tensor of rank 2 or more, got (2,)"));
}

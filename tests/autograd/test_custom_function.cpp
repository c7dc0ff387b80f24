// Tests of user-defined differentiable ops made with record(): the same mechanism built-in ops use.
#include <catch2/catch.hpp>

#include "gradient_checks.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::error_message;
using xgrad::testing::input;

namespace {

// softsign(x) = x / (1 + |x|); d/dx = 1 / (1 + |x|)^2.
Tensor softsign(const Tensor& x) {
  Tensor y = [&] {
    no_grad guard;
    return x / (abs(x) + 1.0);
  }();
  return record("softsign", y, {x},
                [x](const Tensor& dy) { return Gradients{dy / pow(abs(x) + 1.0, 2.0)}; });
}

// A scaled exponential whose backward reads the op's own output: d/dx (c e^x) = c e^x.
Tensor scaled_exp(const Tensor& x, double c) {
  Tensor y = [&] {
    no_grad guard;
    return exp(x) * c;
  }();
  return record("scaled_exp", y, {x},
                [](const Tensor& dy, const Tensor& out) { return Gradients{dy * out}; });
}

// A two-input op: a * b^2, with one gradient per input.
Tensor a_times_b_squared(const Tensor& a, const Tensor& b) {
  Tensor y = [&] {
    no_grad guard;
    return a * b * b;
  }();
  return record("a_times_b_squared", y, {a, b}, [a, b](const Tensor& dy) {
    return Gradients{reduce_to_shape(dy * b * b, a.shape()),
                     reduce_to_shape(dy * a * b * 2.0, b.shape())};
  });
}

}  // namespace

TEST_CASE("a user-defined op passes gradcheck and gradgradcheck", "[autograd][custom]") {
  // Inputs stay away from 0, where |x| has a kink.
  Tensor x = input({3, 4}, 5, 0.1, 2.0);
  Tensor negative = input({5}, 6, -2.0, -0.1);
  const auto f = [](const std::vector<Tensor>& in) { return softsign(in[0]); };
  xgrad::testing::check_gradients_twice(f, {x});
  xgrad::testing::check_gradients_twice(f, {negative});
}

TEST_CASE("a user-defined op can read its own output in backward without a cycle",
          "[autograd][custom]") {
  Tensor x = input({6}, 7);
  xgrad::testing::check_gradients_twice(
      [](const std::vector<Tensor>& in) { return scaled_exp(in[0], 2.5); }, {x});
  std::weak_ptr<Node> node;
  {
    Tensor y = scaled_exp(x, 2.5);
    node = y.grad_fn();
    CHECK(node.lock()->name() == "scaled_exp");
  }
  CHECK(node.expired());
}

TEST_CASE("a user-defined op with two inputs and broadcasting", "[autograd][custom]") {
  Tensor a = input({3, 4}, 8);
  Tensor b = input({4}, 9);
  xgrad::testing::check_gradients_twice(
      [](const std::vector<Tensor>& in) { return a_times_b_squared(in[0], in[1]); }, {a, b});
}

TEST_CASE("a user-defined op that records nothing when no input requires grad",
          "[autograd][custom]") {
  Tensor x = ones({3}, float64);
  Tensor y = softsign(x);
  CHECK_FALSE(y.requires_grad());
  CHECK(y.grad_fn() == nullptr);
  CHECK(y.data<double>()(0) == Approx(0.5));
}

TEST_CASE("a backward returning a gradient of the wrong shape is reported with the op's name",
          "[autograd][custom]") {
  Tensor x = ones({3}, float64, true);
  Tensor y =
      record("bad_op", x * 2.0, {x}, [](const Tensor&) { return Gradients{ones({4}, float64)}; });
  CHECK_THROWS_AS(sum(y).backward(), std::logic_error);
  CHECK_THAT(error_message([&] {
               sum(record("bad_op", x * 2.0, {x}, [](const Tensor&) {
                 return Gradients{ones({4}, float64)};
               })).backward();
             }),
             Contains("backward of 'bad_op' returned a gradient of float64 (4,) for input 0, "
                      "which is float64 (3,)"));
  CHECK_THAT(error_message([&] {
               sum(record("two_grads", x * 2.0, {x}, [](const Tensor& dy) {
                 return Gradients{dy, dy};
               })).backward();
             }),
             Contains("backward of 'two_grads' returned 2 gradients for 1 inputs"));
}

// Tests of the fused losses: values under each reduction, stability at extreme inputs, first and
// second derivatives, and errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
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
using xgrad::testing::values;
using Inputs = std::vector<Tensor>;
using Targets = std::vector<std::int64_t>;

namespace {

// Asserts every value of a tensor to a relative tolerance only, for values far below 1.
void check_relative(const Tensor& t, const std::vector<double>& expected, double tolerance) {
  CHECK_THAT(values(t), Catch::Matchers::Approx(expected).epsilon(tolerance).margin(0));
}

void check_finite(const Tensor& t) {
  for (double v : values(t)) CHECK(std::isfinite(v));
}

double mean_of(const std::vector<double>& v) {
  double total = 0;
  for (double x : v) total += x;
  return total / static_cast<double>(v.size());
}

double sum_of(const std::vector<double>& v) {
  return mean_of(v) * static_cast<double>(v.size());
}

// Binary cross-entropy of logit z against target t, -(t log s(z) + (1 - t) log(1 - s(z))), as
// t log(1 + e^-z) + (1 - t) log(1 + e^z) in long double: a second formula, more precise.
double bce_logits_reference(long double z, long double t) {
  return static_cast<double>(t * std::log1p(std::exp(-z)) + (1 - t) * std::log1p(std::exp(z)));
}

const std::vector<Shape>& loss_shapes() {
  static const std::vector<Shape> shapes = {{}, {5}, {3, 4}};
  return shapes;
}

}  // namespace

TEST_CASE("mse_loss averages, sums or keeps squared differences", "[autograd][loss]") {
  const Tensor input = f64({1, 2, 3});
  const Tensor target = f64({1.5, 2, 5});
  check_values(mse_loss(input, target), {}, {4.25 / 3});
  check_values(mse_loss(input, target, Reduction::sum), {}, {4.25});
  check_values(mse_loss(input, target, Reduction::none), {3}, {0.25, 0, 4});
  check_values(mse_loss(f32({1, 2, 3}), f32({1.5, 2, 5})), {}, {4.25 / 3}, 1e-6);
  check_values(mse_loss(zeros({0}, float64), zeros({0}, float64), Reduction::sum), {}, {0});
}

TEST_CASE("mse_loss gradient is 2 (input - target) / n", "[autograd][loss]") {
  Tensor input = f64({1, 2, 3}, true);
  Tensor target = f64({1.5, 2, 5}, true);
  mse_loss(input, target).backward();
  check_values(input.grad(), {3}, {-1.0 / 3, 0, -4.0 / 3});
  check_values(target.grad(), {3}, {1.0 / 3, 0, 4.0 / 3});
}

TEST_CASE("mse_loss has correct first and second derivatives", "[autograd][loss]") {
  const Shape shape = GENERATE(from_range(loss_shapes()));
  const Reduction reduction = GENERATE(Reduction::mean, Reduction::sum, Reduction::none);
  INFO("input is " << format_shape(shape) << ", reduction " << reduction_name(reduction));
  check_gradients_twice([reduction](const Inputs& x) { return mse_loss(x[0], x[1], reduction); },
                        {input(shape, 81), input(shape, 82)});
}

TEST_CASE("mse_loss rejects shapes that differ, even when they broadcast", "[autograd][loss]") {
  CHECK_THROWS_MATCHES(mse_loss(zeros({8, 1}, float64), zeros({8}, float64)), std::invalid_argument,
                       MessageContains("mse_loss: input (8, 1) and target (8,) differ in shape"));
  CHECK_THROWS_MATCHES(mse_loss(zeros({2}, float64), zeros({2}, float32)), std::invalid_argument,
                       MessageContains("mse_loss: input is float64, target is float32"));
  CHECK_THROWS_MATCHES(mse_loss(zeros({0}, float64), zeros({0}, float64)), std::invalid_argument,
                       MessageContains("mse_loss: mean over an empty input of shape (0,)"));
  CHECK_THROWS_MATCHES(mse_loss(Tensor(), zeros({2}, float64)), std::invalid_argument,
                       MessageContains("mse_loss: input is undefined"));
}

TEST_CASE("binary_cross_entropy computes -(t log p + (1 - t) log(1 - p))", "[autograd][loss]") {
  const Tensor p = f64({0.2, 0.9, 0.5});
  const Tensor t = f64({0, 1, 0.3});
  const std::vector<double> terms = {-std::log(0.8), -std::log(0.9), std::log(2.0)};
  check_values(binary_cross_entropy(p, t, Reduction::none), {3}, terms);
  check_values(binary_cross_entropy(p, t), {}, {mean_of(terms)});
  check_values(binary_cross_entropy(p, t, Reduction::sum), {}, {sum_of(terms)});
  check_values(binary_cross_entropy(f32({0.2f, 0.9f, 0.5f}), f32({0, 1, 0.3f})), {},
               {mean_of(terms)}, 1e-6);
}

TEST_CASE("binary_cross_entropy gradients are (p - t) / (p (1 - p)) and log((1 - p) / p)",
          "[autograd][loss]") {
  Tensor p = f64({0.2, 0.9, 0.5}, true);
  Tensor t = f64({0, 1, 0.3}, true);
  binary_cross_entropy(p, t, Reduction::sum).backward();
  check_values(p.grad(), {3}, {1.25, -0.1 / 0.09, 0.8});
  check_values(t.grad(), {3}, {std::log(4.0), std::log(0.1 / 0.9), 0});
}

TEST_CASE("binary_cross_entropy at p = 0 or 1 is finite, each log clamped at -100",
          "[autograd][loss]") {
  SECTION("float64") {
    Tensor p = f64({0, 1, 0, 1}, true);
    const Tensor t = f64({0, 1, 1, 0});
    const Tensor loss = binary_cross_entropy(p, t, Reduction::none);
    check_values(loss, {4}, {0, 0, 100, 100});
    sum(loss).backward();
    check_finite(p.grad());
    // (p - t) / p (1 - p), the denominator clamped at 1e-12 as in PyTorch
    check_values(p.grad(), {4}, {0, 0, -1e12, 1e12});
  }
  SECTION("float32") {
    Tensor p = f32({0, 1, 0, 1}, true);
    const Tensor loss = binary_cross_entropy(p, f32({0, 1, 1, 0}));
    check_values(loss, {}, {50}, 1e-6);
    loss.backward();
    check_finite(p.grad());
  }
}

TEST_CASE("binary_cross_entropy has correct first and second derivatives", "[autograd][loss]") {
  const Shape shape = GENERATE(from_range(loss_shapes()));
  const Reduction reduction = GENERATE(Reduction::mean, Reduction::sum, Reduction::none);
  INFO("input is " << format_shape(shape) << ", reduction " << reduction_name(reduction));
  // p in [0.1, 0.9): away from 0 and 1, where the logs are clamped.
  check_gradients_twice(
      [reduction](const Inputs& x) { return binary_cross_entropy(x[0], x[1], reduction); },
      {input(shape, 83, 0.1, 0.9), input(shape, 84, 0.0, 1.0)});
}

TEST_CASE("binary_cross_entropy rejects probabilities outside [0, 1] and mismatched shapes",
          "[autograd][loss]") {
  const Tensor t = f64({0, 1});
  CHECK_THROWS_MATCHES(
      binary_cross_entropy(f64({0.5, 1.5}), t), std::invalid_argument,
      MessageContains(
          "binary_cross_entropy: input must be probabilities in [0, 1]; found 1.5 at flat "
          "index 1"));
  CHECK_THROWS_MATCHES(binary_cross_entropy(f64({-0.1, 0.5}), t), std::invalid_argument,
                       MessageContains("found -0.1 at flat index 0"));
  CHECK_THROWS_MATCHES(
      binary_cross_entropy(f64({std::numeric_limits<double>::quiet_NaN(), 0.5}), t),
      std::invalid_argument, MessageContains("found nan at flat index 0"));
  CHECK_THROWS_MATCHES(
      binary_cross_entropy(f64({0.5, 0.5, 0.5}), zeros({3, 1}, float64)), std::invalid_argument,
      MessageContains("binary_cross_entropy: input (3,) and target (3, 1) differ in shape"));
  CHECK_THROWS_MATCHES(
      binary_cross_entropy(f64({0.5, 0.5}), f32({0, 1})), std::invalid_argument,
      MessageContains("binary_cross_entropy: input is float64, target is float32"));
  CHECK_THROWS_MATCHES(binary_cross_entropy(f64({0.5}), Tensor()), std::invalid_argument,
                       MessageContains("binary_cross_entropy: target is undefined"));
}

TEST_CASE("binary_cross_entropy_with_logits matches the closed form", "[autograd][loss]") {
  const Tensor z = f64({0.5, -1, 2});
  const Tensor t = f64({1, 0, 0.25});
  const std::vector<double> terms = {bce_logits_reference(0.5L, 1), bce_logits_reference(-1, 0),
                                     bce_logits_reference(2, 0.25L)};
  check_values(binary_cross_entropy_with_logits(z, t, Reduction::none), {3}, terms);
  check_values(binary_cross_entropy_with_logits(z, t), {}, {mean_of(terms)});
  check_values(binary_cross_entropy_with_logits(z, t, Reduction::sum), {}, {sum_of(terms)});
  // It equals binary_cross_entropy of the probabilities sigmoid(z).
  check_values(binary_cross_entropy_with_logits(z, t, Reduction::none), {3},
               values(binary_cross_entropy(sigmoid(z), t, Reduction::none)));
}

TEST_CASE("binary_cross_entropy_with_logits is exact for logits of +-50", "[autograd][loss]") {
  // log(1 + e^-50) = 1.93e-22: a naive log(sigmoid(z)) rounds it to 0, and log(1 - sigmoid(50))
  // is log(0).
  const double tail = 1.9287498479639178e-22;
  REQUIRE(bce_logits_reference(50, 1) == Approx(tail).epsilon(1e-12));
  const std::vector<double> expected = {tail, 50, 50, tail, 25};
  SECTION("float64") {
    Tensor z = f64({50, 50, -50, -50, 50}, true);
    const Tensor t = f64({1, 0, 1, 0, 0.5});
    const Tensor loss = binary_cross_entropy_with_logits(z, t, Reduction::none);
    check_relative(loss, expected, 1e-12);
    sum(loss).backward();
    // sigmoid(z) - t; sigmoid(50) - 1 = -1.9e-22 rounds to 0 next to 1
    check_values(z.grad(), {5}, {0, 1, -1, tail, 0.5}, 1e-15);
    CHECK(values(z.grad())[3] == Approx(tail).epsilon(1e-12));
  }
  SECTION("float32") {
    Tensor z = f32({50, 50, -50, -50, 50}, true);
    const Tensor loss =
        binary_cross_entropy_with_logits(z, f32({1, 0, 1, 0, 0.5}), Reduction::none);
    CHECK(loss.dtype() == float32);
    check_relative(loss, expected, 1e-6);
    sum(loss).backward();
    check_finite(z.grad());
  }
}

TEST_CASE("binary_cross_entropy_with_logits has correct first and second derivatives",
          "[autograd][loss]") {
  const Shape shape = GENERATE(from_range(loss_shapes()));
  const Reduction reduction = GENERATE(Reduction::mean, Reduction::sum, Reduction::none);
  INFO("input is " << format_shape(shape) << ", reduction " << reduction_name(reduction));
  check_gradients_twice(
      [reduction](const Inputs& x) {
        return binary_cross_entropy_with_logits(x[0], x[1], reduction);
      },
      {input(shape, 85, -3.0, 3.0), input(shape, 86, 0.0, 1.0)});
}

TEST_CASE("binary_cross_entropy_with_logits rejects mismatched shapes, dtypes and undefined",
          "[autograd][loss]") {
  CHECK_THROWS_MATCHES(
      binary_cross_entropy_with_logits(zeros({4}, float64), zeros({2, 2}, float64)),
      std::invalid_argument,
      MessageContains(
          "binary_cross_entropy_with_logits: input (4,) and target (2, 2) differ in shape"));
  CHECK_THROWS_MATCHES(
      binary_cross_entropy_with_logits(zeros({4}, float32), zeros({4}, float64)),
      std::invalid_argument,
      MessageContains("binary_cross_entropy_with_logits: input is float32, target is float64"));
  CHECK_THROWS_MATCHES(binary_cross_entropy_with_logits(Tensor(), zeros({4}, float64)),
                       std::invalid_argument,
                       MessageContains("binary_cross_entropy_with_logits: input is undefined"));
}

TEST_CASE("cross_entropy is logsumexp of each row minus the target's logit", "[autograd][loss]") {
  const Tensor logits = f64({{1, 2, 3}, {1, 1, 1}});
  const std::vector<double> terms = {std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3,
                                     std::log(3.0)};
  check_values(cross_entropy(logits, Targets{2, 0}, Reduction::none), {2}, terms);
  check_values(cross_entropy(logits, Targets{2, 0}), {}, {mean_of(terms)});
  check_values(cross_entropy(logits, Targets{2, 0}, Reduction::sum), {}, {sum_of(terms)});
  SECTION("targets in a tensor, float64 or float32") {
    check_values(cross_entropy(logits, f64({2, 0}), Reduction::none), {2}, terms);
    check_values(cross_entropy(logits, f32({2, 0})), {}, {mean_of(terms)});
    check_values(cross_entropy(logits, f64({2, 0}), Reduction::sum), {}, {sum_of(terms)});
  }
  SECTION("float32 logits") {
    const Tensor single = f32({{1, 2, 3}, {1, 1, 1}});
    const Tensor loss = cross_entropy(single, Targets{2, 0}, Reduction::none);
    CHECK(loss.dtype() == float32);
    check_values(loss, {2}, terms, 1e-6);
  }
}

TEST_CASE("cross_entropy gradient is softmax minus the one-hot target", "[autograd][loss]") {
  Tensor logits = f64({{1, 2, 3}, {1, 1, 1}}, true);
  cross_entropy(logits, Targets{2, 0}, Reduction::sum).backward();
  const double total = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  check_values(logits.grad(), {2, 3},
               {std::exp(1.0) / total, std::exp(2.0) / total, std::exp(3.0) / total - 1,
                1.0 / 3 - 1, 1.0 / 3, 1.0 / 3});
}

TEST_CASE("cross_entropy is finite and exact for logits of 1000", "[autograd][loss]") {
  // exp(1000) overflows; the row maximum is taken out first.
  SECTION("float64") {
    Tensor logits = f64({{1000, 0, -1000}, {1000, 1000, 1000}, {1000, 1000.5, -1000}}, true);
    const Tensor loss = cross_entropy(logits, Targets{0, 2, 1}, Reduction::none);
    check_values(loss, {3}, {0, std::log(3.0), std::log1p(std::exp(-0.5))});
    CHECK(cross_entropy(logits, Targets{1, 0, 2}, Reduction::none).data<double>()(0) ==
          Approx(1000));
    sum(loss).backward();
    check_finite(logits.grad());
    const double p0 = 1 / (1 + std::exp(0.5));
    check_values(logits.grad(), {3, 3}, {0, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3 - 1, p0, -p0, 0});
  }
  SECTION("float32") {
    Tensor logits = f32({{1000, 0, -1000}, {1000, 1000, 1000}}, true);
    const Tensor loss = cross_entropy(logits, Targets{0, 2}, Reduction::none);
    check_values(loss, {2}, {0, std::log(3.0)}, 1e-6);
    sum(loss).backward();
    check_finite(logits.grad());
  }
}

TEST_CASE("cross_entropy has correct first and second derivatives", "[autograd][loss]") {
  const Reduction reduction = GENERATE(Reduction::mean, Reduction::sum, Reduction::none);
  const auto [shape, classes] = GENERATE(values<std::pair<Shape, Targets>>(
      {{{1, 1}, {0}}, {{1, 4}, {3}}, {{2, 5}, {4, 0}}, {{4, 3}, {0, 2, 1, 2}}}));
  INFO("logits are " << format_shape(shape) << ", reduction " << reduction_name(reduction));
  const Targets target = classes;
  check_gradients_twice(
      [target, reduction](const Inputs& x) { return cross_entropy(x[0], target, reduction); },
      {input(shape, 87, -3.0, 3.0)});
  // The same with the targets held in a tensor that does not require grad.
  Tensor held = zeros({target.size()}, float64);
  for (std::size_t i = 0; i < target.size(); ++i) {
    held.data<double>()(i) = static_cast<double>(target[i]);
  }
  check_gradients_twice(
      [reduction](const Inputs& x) { return cross_entropy(x[0], x[1], reduction); },
      {input(shape, 88, -3.0, 3.0), held});
}

TEST_CASE("cross_entropy rejects targets out of range, of the wrong count or not whole",
          "[autograd][loss]") {
  const Tensor logits = zeros({13, 5}, float64);
  Targets targets(13, 0);
  targets[12] = 7;
  CHECK_THROWS_MATCHES(
      cross_entropy(logits, targets), std::out_of_range,
      MessageContains("cross_entropy: target 7 out of range for 5 classes (row 12)"));
  targets[12] = 0;
  targets[3] = -1;
  CHECK_THROWS_MATCHES(
      cross_entropy(logits, targets), std::out_of_range,
      MessageContains("cross_entropy: target -1 out of range for 5 classes (row 3)"));
  CHECK_THROWS_MATCHES(cross_entropy(zeros({2, 5}, float64), Targets{0, 1, 2}),
                       std::invalid_argument,
                       MessageContains("cross_entropy: 3 targets for logits of shape (2, 5)"));
  CHECK_THROWS_MATCHES(cross_entropy(zeros({5}, float64), Targets{0}), std::invalid_argument,
                       MessageContains("cross_entropy: logits must be 2-D (N, C); got (5,)"));
  SECTION("targets in a tensor") {
    const Tensor two = zeros({2, 5}, float64);
    CHECK_THROWS_MATCHES(cross_entropy(two, f64({0, 1.5})), std::invalid_argument,
                         MessageContains("cross_entropy: target 1.5 is not a class index (row 1)"));
    CHECK_THROWS_MATCHES(cross_entropy(two, f64({std::numeric_limits<double>::quiet_NaN(), 1})),
                         std::invalid_argument,
                         MessageContains("cross_entropy: target nan is not a class index (row 0)"));
    CHECK_THROWS_MATCHES(
        cross_entropy(two, f64({0, 5})), std::out_of_range,
        MessageContains("cross_entropy: target 5 out of range for 5 classes (row 1)"));
    CHECK_THROWS_MATCHES(
        cross_entropy(two, zeros({2, 1}, float64)), std::invalid_argument,
        MessageContains("cross_entropy: target must be 1-D class indices; got (2, 1)"));
    CHECK_THROWS_MATCHES(cross_entropy(two, f64({0, 1, 2})), std::invalid_argument,
                         MessageContains("cross_entropy: 3 targets for logits of shape (2, 5)"));
  }
}

TEST_CASE("cross_entropy rejects undefined tensors and a mean over no rows", "[autograd][loss]") {
  CHECK_THROWS_MATCHES(cross_entropy(Tensor(), Targets{0}), std::invalid_argument,
                       MessageContains("cross_entropy: tensor is undefined"));
  CHECK_THROWS_MATCHES(cross_entropy(zeros({1, 3}, float64), Tensor()), std::invalid_argument,
                       MessageContains("cross_entropy: tensor is undefined"));
  CHECK_THROWS_MATCHES(cross_entropy(zeros({0, 3}, float64), Targets{}), std::invalid_argument,
                       MessageContains("cross_entropy: mean over an empty input of shape (0,)"));
  check_values(cross_entropy(zeros({0, 3}, float64), Targets{}, Reduction::sum), {}, {0});
}

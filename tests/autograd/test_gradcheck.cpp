// Tests of gradcheck and gradgradcheck themselves: they pass right gradients, catch wrong ones,
// name the worst entry, and refuse inputs they cannot check.
#include <catch2/catch.hpp>

#include <cmath>

#include "gradient_checks.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::error_message;
using xgrad::testing::input;

namespace {

// A new tensor holding f(x) elementwise, with no graph.
template <class F>
Tensor map_values(const Tensor& x, F f) {
  xt::xarray<double> values = x.data<double>();
  for (double& v : values) v = f(v);
  return Tensor(std::move(values));
}

// x^3 whose backward returns 3.3 x^2 instead of 3 x^2 at element 2 only.
Tensor cube_wrong_at_2(const Tensor& x) {
  Tensor y = map_values(x, [](double v) { return v * v * v; });
  return record("cube_wrong_at_2", y, {x}, [x](const Tensor& dy) {
    Tensor scale = map_values(x, [](double) { return 3.0; });
    scale.data<double>().data()[2] = 3.3;
    return Gradients{dy * scale * x * x};
  });
}

// sin(x) whose backward is right in value but uses cos(x) as a constant, so its own derivative
// (needed for second-order gradients) is lost.
Tensor sin_with_constant_backward(const Tensor& x) {
  Tensor y = map_values(x, [](double v) { return std::sin(v); });
  return record("sin", y, {x}, [x](const Tensor& dy) {
    return Gradients{dy * map_values(x, [](double v) { return std::cos(v); })};
  });
}

}  // namespace

TEST_CASE("gradcheck passes correct gradients and reports the largest difference",
          "[autograd][gradcheck]") {
  Tensor a = input({3, 4}, 1);
  Tensor b = input({4, 2}, 2);
  const GradcheckResult result =
      gradcheck([](const std::vector<Tensor>& in) { return tanh(matmul(in[0], in[1])); }, {a, b});
  CHECK(result.passed);
  CHECK(result.max_abs_error < 1e-8);
  CHECK_THAT(result.message, Contains("gradcheck passed: 120 Jacobian entries"));
}

TEST_CASE("gradcheck names the input, element, analytic and numeric value of a wrong gradient",
          "[autograd][gradcheck]") {
  Tensor x = input({5}, 3, 0.5, 1.5);
  const GradcheckResult result =
      gradcheck([](const std::vector<Tensor>& in) { return cube_wrong_at_2(in[0]); }, {x});
  CHECK_FALSE(result.passed);
  CHECK(result.input == 0);
  CHECK(result.index == 2);
  CHECK(result.output_index == 2);
  const double v = x.data<double>()(2);
  CHECK(result.analytic == Approx(3.3 * v * v));
  CHECK(result.numeric == Approx(3 * v * v).epsilon(1e-6));
  CHECK_THAT(result.message, Contains("gradcheck failed: input 0, element 2, output element 2"));
}

TEST_CASE("gradgradcheck catches a backward that is not differentiable", "[autograd][gradcheck]") {
  Tensor x = input({4}, 4);
  const auto f = [](const std::vector<Tensor>& in) { return sin_with_constant_backward(in[0]); };
  CHECK(gradcheck(f, {x}).passed);  // first derivatives are right...
  const GradcheckResult second = gradgradcheck(f, {x});
  CHECK_FALSE(second.passed);  // ...but d/dx of the vjp misses -sin(x) v
  CHECK_THAT(second.message, Contains("gradgradcheck failed"));
}

TEST_CASE("gradcheck handles functions whose output shares the input's values",
          "[autograd][gradcheck]") {
  Tensor x = input({2, 3}, 5);
  const GradcheckResult identity =
      gradcheck([](const std::vector<Tensor>& in) { return in[0]; }, {x});
  INFO(identity.message);
  CHECK(identity.passed);
  const GradcheckResult same_shape =
      gradcheck([](const std::vector<Tensor>& in) { return reshape(in[0], in[0].shape()); }, {x});
  CHECK(same_shape.passed);
}

TEST_CASE("gradcheck refuses float32 inputs and inputs without requires_grad",
          "[autograd][gradcheck]") {
  const auto f = [](const std::vector<Tensor>& in) { return in[0] * 2.0; };
  Tensor single = ones({3}, float32, true);
  CHECK_THROWS_AS(gradcheck(f, {single}), std::invalid_argument);
  CHECK_THAT(error_message([&] { gradcheck(f, {single}); }),
             Contains("input 0 is float32; gradient checks need float64"));
  CHECK_THAT(error_message([&] { gradcheck(f, {ones({3}, float64)}); }),
             Contains("no input requires grad"));
}

TEST_CASE("composites pass first- and second-order checks", "[autograd][gradcheck]") {
  SECTION("a two-layer MLP with cross-entropy") {
    Tensor x = input({6, 3}, 10);
    Tensor w1 = input({3, 5}, 11);
    Tensor b1 = input({5}, 12);
    Tensor w2 = input({5, 4}, 13);
    Tensor b2 = input({4}, 14);
    const std::vector<std::int64_t> labels{0, 3, 1, 2, 2, 0};
    xgrad::testing::check_gradients_twice(
        [&labels](const std::vector<Tensor>& p) {
          Tensor h = tanh(matmul(p[0], p[1]) + p[2]);
          return cross_entropy(matmul(h, p[3]) + p[4], labels);
        },
        {x, w1, b1, w2, b2});
  }
  SECTION("logistic regression loss") {
    Tensor x = input({8, 3}, 20);
    Tensor w = input({3, 1}, 21);
    Tensor b = input({1}, 22);
    Tensor y = map_values(input({8, 1}, 23), [](double v) { return v > 0 ? 1.0 : 0.0; });
    xgrad::testing::check_gradients_twice(
        [&y](const std::vector<Tensor>& p) {
          return binary_cross_entropy_with_logits(matmul(p[0], p[1]) + p[2], y);
        },
        {x, w, b});
  }
  SECTION("MSE with an L2 term") {
    Tensor x = input({7, 4}, 30);
    Tensor w = input({4}, 31);
    Tensor y = input({7}, 32);
    xgrad::testing::check_gradients_twice(
        [&x, &y](const std::vector<Tensor>& p) {
          return mse_loss(matmul(x, p[0]), y) + 0.1 * sum(p[0] * p[0]);
        },
        {w});
  }
}

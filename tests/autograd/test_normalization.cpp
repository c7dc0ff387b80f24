// Tests of batch_norm, layer_norm and group_norm: values against their formulas, running
// statistics, first and second derivatives over several shapes, and errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
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

// (x - mean) / sqrt(var + eps) of a list, the variance biased.
std::vector<double> normalized(const std::vector<double>& x, double eps) {
  double mean = 0, var = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  for (double v : x) var += (v - mean) * (v - mean);
  var /= static_cast<double>(x.size());
  std::vector<double> out;
  for (double v : x) out.push_back((v - mean) / std::sqrt(var + eps));
  return out;
}

// A weight or bias of `channels` entries that requires grad, away from 0 and 1.
Tensor affine(std::size_t channels, std::uint64_t seed) {
  return input({channels}, seed, 0.5, 1.5);
}

}  // namespace

TEST_CASE(
    "batch_norm in training normalizes each channel over the batch and applies the affine "
    "map",
    "[autograd][normalization]") {
  // x (3, 2): channel 0 is {1, 2, 4}, channel 1 is {-1, 0, 5}
  const Tensor x = f64({{1, -1}, {2, 0}, {4, 5}});
  const Tensor w = f64({2, 0.5}), b = f64({0.25, -1});
  const Tensor y = batch_norm(x, Tensor(), Tensor(), w, b, true, 0.1, 1e-5);
  const std::vector<double> c0 = normalized({1, 2, 4}, 1e-5), c1 = normalized({-1, 0, 5}, 1e-5);
  check_values(y, {3, 2},
               {2 * c0[0] + 0.25, 0.5 * c1[0] - 1, 2 * c0[1] + 0.25, 0.5 * c1[1] - 1,
                2 * c0[2] + 0.25, 0.5 * c1[2] - 1});
  const Tensor y32 = batch_norm(f32({{1, -1}, {2, 0}, {4, 5}}), Tensor(), Tensor(), Tensor(),
                                Tensor(), true, 0.1, 1e-5);
  check_values(y32, {3, 2}, {c0[0], c1[0], c0[1], c1[1], c0[2], c1[2]}, 1e-6);
}

TEST_CASE("batch_norm updates running statistics with momentum and the unbiased variance",
          "[autograd][normalization]") {
  // x (2, 2, 2): channel 0 holds {0, 1, 4, 5}, channel 1 {2, 3, 6, 7}; each mean is its first
  // value + 2.5, each biased variance 4.25 and unbiased 17/3.
  const Tensor x = f64({{{0, 1}, {2, 3}}, {{4, 5}, {6, 7}}});
  Tensor running_mean = f64({1, -1}), running_var = f64({2, 0.5});
  batch_norm(x, running_mean, running_var, Tensor(), Tensor(), true, 0.25, 1e-5);
  check_values(running_mean, {2}, {0.75 * 1 + 0.25 * 2.5, 0.75 * -1 + 0.25 * 4.5});
  check_values(running_var, {2}, {0.75 * 2 + 0.25 * 17.0 / 3, 0.75 * 0.5 + 0.25 * 17.0 / 3});
  // eval mode normalizes with the running statistics and leaves them alone
  const Tensor y = batch_norm(x, running_mean, running_var, Tensor(), Tensor(), false, 0.25, 0.0);
  const double m0 = values(running_mean)[0], s0 = std::sqrt(values(running_var)[0]);
  CHECK(values(y)[0] == Approx((0 - m0) / s0).epsilon(1e-12));
  CHECK(values(y)[5] == Approx((5 - m0) / s0).epsilon(1e-12));
  check_values(running_mean, {2}, {0.75 * 1 + 0.25 * 2.5, 0.75 * -1 + 0.25 * 4.5});
}

TEST_CASE("batch_norm has correct first and second derivatives in training and eval mode",
          "[autograd][normalization]") {
  // (N, C), (N, C, L) with odd sizes, (N, C, H, W), and batch 1 with L > 1
  const std::vector<Shape> shapes = {{4, 3}, {3, 2, 5}, {2, 3, 2, 3}, {1, 3, 4}};
  const Shape shape = GENERATE_COPY(from_range(shapes));
  const bool with_affine = GENERATE(true, false);
  const bool training = GENERATE(true, false);
  INFO("x is " << format_shape(shape) << ", affine " << with_affine << ", training " << training);
  const std::size_t c = shape[1];
  Inputs inputs{input(shape, 21, -2.0, 2.0)};
  if (with_affine) inputs = {inputs[0], affine(c, 22), input({c}, 23)};
  Generator generator(24);
  const Tensor running_mean = uniform({c}, -0.5, 0.5, generator, float64);
  const Tensor running_var = uniform({c}, 0.5, 2.0, generator, float64);
  check_gradients_twice(
      [=](const Inputs& x) {
        // a copy of the running statistics, so repeated evaluations see the same ones
        Tensor rm = clone(running_mean), rv = clone(running_var);
        return batch_norm(x[0], rm, rv, with_affine ? x[1] : Tensor(),
                          with_affine ? x[2] : Tensor(), training, 0.1, 1e-3);
      },
      inputs);
}

TEST_CASE("layer_norm normalizes each sample over its trailing axes", "[autograd][normalization]") {
  const Tensor x = f64({{1, 2, 4}, {-3, 0, 3}});
  const Tensor w = f64({1, 2, 3}), b = f64({0, 0.5, -1});
  const Tensor y = layer_norm(x, {3}, w, b, 1e-5);
  const std::vector<double> r0 = normalized({1, 2, 4}, 1e-5), r1 = normalized({-3, 0, 3}, 1e-5);
  check_values(y, {2, 3},
               {r0[0], 2 * r0[1] + 0.5, 3 * r0[2] - 1, r1[0], 2 * r1[1] + 0.5, 3 * r1[2] - 1});
}

TEST_CASE("layer_norm has correct first and second derivatives", "[autograd][normalization]") {
  struct Case {
    Shape x, normalized;
  };
  const std::vector<Case> cases = {
      {{3, 5}, {5}}, {{2, 3, 4}, {3, 4}}, {{1, 7}, {7}}, {{2, 2, 3}, {3}}, {{6}, {6}}};
  const Case c = GENERATE_COPY(from_range(cases));
  const bool with_affine = GENERATE(true, false);
  INFO("x is " << format_shape(c.x) << ", normalized_shape " << format_shape(c.normalized)
               << ", affine " << with_affine);
  Inputs inputs{input(c.x, 31, -2.0, 2.0)};
  if (with_affine) inputs = {inputs[0], input(c.normalized, 32, 0.5, 1.5), input(c.normalized, 33)};
  const Shape normalized_shape = c.normalized;
  check_gradients_twice(
      [=](const Inputs& x) {
        return layer_norm(x[0], normalized_shape, with_affine ? x[1] : Tensor(),
                          with_affine ? x[2] : Tensor(), 1e-3);
      },
      inputs);
}

TEST_CASE("group_norm normalizes each group of channels of each sample",
          "[autograd][normalization]") {
  // x (1, 4, 2), 2 groups: group 0 holds {1, 2, 3, 5}, group 1 {0, 0, 1, -1}
  const Tensor x = f64({{{1, 2}, {3, 5}, {0, 0}, {1, -1}}});
  const Tensor w = f64({1, 2, 3, 4}), b = f64({0, 1, 0, 1});
  const Tensor y = group_norm(x, 2, w, b, 1e-5);
  const std::vector<double> g0 = normalized({1, 2, 3, 5}, 1e-5);
  const std::vector<double> g1 = normalized({0, 0, 1, -1}, 1e-5);
  check_values(y, {1, 4, 2},
               {g0[0], g0[1], 2 * g0[2] + 1, 2 * g0[3] + 1, 3 * g1[0], 3 * g1[1], 4 * g1[2] + 1,
                4 * g1[3] + 1});
}

TEST_CASE("group_norm has correct first and second derivatives", "[autograd][normalization]") {
  struct Case {
    Shape x;
    std::size_t groups;
  };
  const std::vector<Case> cases = {{{2, 6, 3}, 3},    {{1, 4}, 2},    {{2, 6, 2, 2}, 2},
                                   {{2, 6, 2, 2}, 6}, {{3, 5, 3}, 1}, {{1, 4, 3}, 4}};
  const Case c = GENERATE_COPY(from_range(cases));
  const bool with_affine = GENERATE(true, false);
  INFO("x is " << format_shape(c.x) << ", " << c.groups << " groups, affine " << with_affine);
  const std::size_t channels = c.x[1];
  Inputs inputs{input(c.x, 41, -2.0, 2.0)};
  if (with_affine) inputs = {inputs[0], affine(channels, 42), input({channels}, 43)};
  const std::size_t groups = c.groups;
  check_gradients_twice(
      [=](const Inputs& x) {
        return group_norm(x[0], groups, with_affine ? x[1] : Tensor(),
                          with_affine ? x[2] : Tensor(), 1e-3);
      },
      inputs);
}

TEST_CASE("normalization ops in float32 agree with float64", "[autograd][normalization]") {
  Generator generator(51);
  const Tensor x = uniform({4, 6, 3, 3}, -3.0, 3.0, generator, float64);
  const Tensor w = uniform({6}, 0.5, 1.5, generator, float64);
  const Tensor b = uniform({6}, -1.0, 1.0, generator, float64);
  auto close = [](const Tensor& a, const Tensor& b64) {
    const std::vector<double> va = values(a), vb = values(b64);
    REQUIRE(va.size() == vb.size());
    for (std::size_t i = 0; i < va.size(); ++i) CHECK(va[i] == Approx(vb[i]).margin(1e-5));
  };
  close(batch_norm(x.to(float32), Tensor(), Tensor(), w.to(float32), b.to(float32), true),
        batch_norm(x, Tensor(), Tensor(), w, b, true));
  close(group_norm(x.to(float32), 3, w.to(float32), b.to(float32)), group_norm(x, 3, w, b));
  close(layer_norm(x.to(float32), {3, 3}), layer_norm(x, {3, 3}));
}

TEST_CASE("batch_norm refuses one value per channel when training, as PyTorch does",
          "[autograd][normalization]") {
  CHECK_THROWS_WITH(batch_norm(ones({1, 3}), Tensor(), Tensor(), Tensor(), Tensor(), true),
                    "batch_norm: expected more than 1 value per channel when training, got input "
                    "of shape (1, 3)");
  CHECK_THROWS_WITH(batch_norm(ones({1, 3, 1, 1}), zeros({3}), ones({3}), Tensor(), Tensor(), true),
                    Catch::Contains("got input of shape (1, 3, 1, 1)"));
  // eval mode with running statistics takes any batch
  CHECK(batch_norm(ones({1, 3}), zeros({3}), ones({3})).shape() == Shape{1, 3});
}

TEST_CASE("normalization ops name themselves and the shapes on bad arguments",
          "[autograd][normalization]") {
  const Tensor x = ones({2, 3, 4});
  CHECK_THROWS_AS(batch_norm(ones({3}), Tensor(), Tensor()), std::invalid_argument);
  CHECK_THROWS_WITH(batch_norm(ones({3}), Tensor(), Tensor()),
                    Catch::Contains("batch_norm: input of shape (3,) has rank 1"));
  CHECK_THROWS_WITH(
      batch_norm(x, Tensor(), Tensor(), ones({4}), Tensor(), true),
      "batch_norm: weight has shape (4,), expected (3,) for input of shape (2, 3, 4)");
  CHECK_THROWS_WITH(batch_norm(x, zeros({3}), Tensor(), Tensor(), Tensor(), true),
                    Catch::Contains("running_mean and running_var must both be given"));
  CHECK_THROWS_WITH(batch_norm(x, Tensor(), Tensor(), ones({3}, float64), Tensor(), true),
                    Catch::Contains("batch_norm: dtype mismatch: float32 and float64"));
  CHECK_THROWS_WITH(layer_norm(x, {3}),
                    "layer_norm: input of shape (2, 3, 4) does not end in normalized_shape (3,)");
  CHECK_THROWS_WITH(layer_norm(x, {4}, ones({3})),
                    Catch::Contains("layer_norm: weight has shape (3,), expected (4,)"));
  CHECK_THROWS_WITH(group_norm(x, 2),
                    "group_norm: num_groups 2 does not divide the 3 channels of "
                    "input of shape (2, 3, 4)");
  CHECK_THROWS_WITH(group_norm(x, 0), Catch::Contains("num_groups 0"));
  CHECK_THROWS_WITH(group_norm(x, 3, Tensor(), ones({2})),
                    Catch::Contains("group_norm: bias has shape (2,), expected (3,)"));
  CHECK_THROWS_WITH(layer_norm(Tensor(), {3}), "layer_norm: tensor is undefined");
}

TEST_CASE("the fused kernels agree with the recorded formulas on inputs split across threads",
          "[autograd][normalization]") {
  // 8 x 4 x 48 x 48 = 73728 elements: above the size at which the kernels go parallel. The
  // gradients of a plain backward (fused sweeps) must equal those of a create_graph backward
  // (recorded tensor ops), and the forward the composition of mean, variance and affine map.
  const int threads_before = get_num_threads();
  set_num_threads(2);
  Generator generator(61);
  const Tensor x = uniform({8, 4, 48, 48}, -2.0, 2.0, generator, float64).requires_grad_();
  const Tensor w = uniform({4}, 0.5, 1.5, generator, float64).requires_grad_();
  const Tensor b = uniform({4}, -1.0, 1.0, generator, float64).requires_grad_();
  const Tensor dy = uniform({8, 4, 48, 48}, -1.0, 1.0, generator, float64);
  auto check_same = [&](const Tensor& y, const Tensor& expected_y, const std::string& op) {
    INFO(op);
    const std::vector<double> a = values(y), e = values(expected_y);
    for (std::size_t i = 0; i < a.size(); i += 97) REQUIRE(a[i] == Approx(e[i]).margin(1e-12));
    const std::vector<Tensor> fused = autograd::grad({y}, {x, w, b}, {dy}, true, false);
    const std::vector<Tensor> recorded = autograd::grad({y}, {x, w, b}, {dy}, true, true);
    for (std::size_t k = 0; k < 3; ++k) {
      const std::vector<double> f = values(fused[k]), r = values(recorded[k]);
      REQUIRE(f.size() == r.size());
      for (std::size_t i = 0; i < f.size(); ++i) REQUIRE(f[i] == Approx(r[i]).margin(1e-10));
    }
  };
  const Tensor bshape_w = reshape(w, {1, 4, 1, 1}), bshape_b = reshape(b, {1, 4, 1, 1});
  {
    Tensor centered = x - mean(x, {0, 2, 3}, true);
    Tensor x_hat = centered / sqrt(mean(centered * centered, {0, 2, 3}, true) + 1e-5);
    check_same(batch_norm(x, Tensor(), Tensor(), w, b, true), x_hat * bshape_w + bshape_b,
               "batch_norm");
  }
  {
    Tensor grouped = reshape(x, {8, 2, -1});
    Tensor centered = grouped - mean(grouped, {2}, true);
    Tensor x_hat =
        reshape(centered / sqrt(mean(centered * centered, {2}, true) + 1e-5), {8, 4, 48, 48});
    check_same(group_norm(x, 2, w, b), x_hat * bshape_w + bshape_b, "group_norm");
  }
  set_num_threads(threads_before);
}

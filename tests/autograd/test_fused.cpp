// Tests of the fused ops and the one-pass backward paths: addmm, linear and linear_loss (values,
// broadcasting, first and second derivatives, errors), products with one row or column (gemv), the
// one-pass backwards run when no graph is recorded agreeing bit for bit with the recorded ones,
// gradient buffers reused only when nothing else sees them, the vectorised float exp and log1p,
// and set_num_threads.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "autograd/ops/fastmath.hpp"
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

// X = [[1, 2, 3], [4, 5, 6]] (2, 3) and W = [[1, 0], [0, 1], [1, 1]] (3, 2): X @ W = [[4, 5],
// [10, 11]].
Tensor x23() {
  return f64({{1, 2, 3}, {4, 5, 6}});
}
Tensor w32() {
  return f64({{1, 0}, {0, 1}, {1, 1}});
}

// The gradients of f's output (summed) with respect to `inputs`, without a graph (the one-pass
// backwards) or recording one (create_graph, the tensor-op backwards).
std::vector<std::vector<double>> gradients(const std::function<Tensor(const Inputs&)>& f,
                                           const Inputs& inputs, bool create_graph) {
  Tensor out = f(inputs);
  if (out.numel() != 1) out = out.sum();
  std::vector<std::vector<double>> result;
  for (const Tensor& g : autograd::grad({out}, inputs, {}, false, create_graph, true)) {
    result.push_back(g.defined() ? values(g) : std::vector<double>());
  }
  return result;
}

// A float32 tensor of `shape` that requires grad, values in [low, high).
Tensor input32(const Shape& shape, std::uint64_t seed, double low = -2.0, double high = 2.0) {
  Generator generator(seed);
  return uniform(shape, low, high, generator, float32).requires_grad_();
}

}  // namespace

TEST_CASE("addmm adds the input, broadcast, to the product, as torch.addmm", "[autograd][fused]") {
  SECTION("a bias row (n,) or (1, n)") {
    check_values(addmm(f64({10, 20}), x23(), w32()), {2, 2}, {14, 25, 20, 31});
    check_values(addmm(reshape(f64({10, 20}), {1, 2}), x23(), w32()), {2, 2}, {14, 25, 20, 31});
  }
  SECTION("a column (m, 1), a full matrix and a scalar") {
    check_values(addmm(reshape(f64({1, 2}), {2, 1}), x23(), w32()), {2, 2}, {5, 6, 12, 13});
    check_values(addmm(f64({{1, 2}, {3, 4}}), x23(), w32()), {2, 2}, {5, 7, 13, 15});
    check_values(addmm(f64(xt::xarray<double>(0.5)), x23(), w32()), {2, 2}, {4.5, 5.5, 10.5, 11.5});
  }
}

TEST_CASE("addmm has correct first and second derivatives for every input shape",
          "[autograd][fused]") {
  const Shape bias = GENERATE(Shape{}, Shape{4}, Shape{1, 4}, Shape{3, 1}, Shape{3, 4});
  INFO("input is " << format_shape(bias));
  check_gradients_twice([](const Inputs& x) { return addmm(x[0], x[1], x[2]); },
                        {input(bias, 1), input({3, 5}, 2), input({5, 4}, 3)});
}

TEST_CASE("linear is x @ weight^T + bias, for a batch or a single vector", "[autograd][fused]") {
  const Tensor weight = f64({{1, 0, 1}, {0, 1, 1}});  // (out 2, in 3): w32() transposed
  check_values(linear(x23(), weight, f64({10, 20})), {2, 2}, {14, 25, 20, 31});
  check_values(linear(x23(), weight), {2, 2}, {4, 5, 10, 11});
  check_values(linear(f64({1, 2, 3}), weight, f64({10, 20})), {2}, {14, 25});
}

TEST_CASE("linear has correct first and second derivatives, with and without a bias",
          "[autograd][fused]") {
  SECTION("a batch, with a bias") {
    check_gradients_twice([](const Inputs& x) { return linear(x[0], x[1], x[2]); },
                          {input({3, 5}, 4), input({2, 5}, 5), input({2}, 6)});
  }
  SECTION("a batch, without a bias") {
    check_gradients_twice([](const Inputs& x) { return linear(x[0], x[1]); },
                          {input({3, 5}, 7), input({2, 5}, 8)});
  }
  SECTION("a single vector") {
    check_gradients_twice([](const Inputs& x) { return linear(x[0], x[1], x[2]); },
                          {input({5}, 9), input({2, 5}, 10), input({2}, 11)});
  }
}

TEST_CASE("addmm and linear name the op and the shapes in their errors", "[autograd][fused]") {
  CHECK_THROWS_MATCHES(addmm(f64({1, 2, 3}), x23(), w32()), std::invalid_argument,
                       MessageContains("addmm: input (3,) does not broadcast to the product's "
                                       "shape (2, 2)"));
  CHECK_THROWS_MATCHES(addmm(f64({1, 2}), x23(), x23()), std::invalid_argument,
                       MessageContains("addmm: inner dimensions differ: a is (2, 3), b is (2, 3)"));
  CHECK_THROWS_MATCHES(addmm(f64({1, 2}), f64({1, 2, 3}), w32()), std::invalid_argument,
                       MessageContains("addmm: transposed products need 2-D tensors"));
  CHECK_THROWS_MATCHES(addmm(Tensor(), x23(), w32()), std::invalid_argument,
                       MessageContains("addmm: tensor is undefined"));
  CHECK_THROWS_MATCHES(linear(x23(), f64({{1, 2}, {3, 4}})), std::invalid_argument,
                       MessageContains("inner dimensions differ: a is (2, 3), b is (2, 2) "
                                       "(transposed)"));
  CHECK_THROWS_MATCHES(addmm(f32({1.0f, 2.0f}), x23(), w32()), std::invalid_argument,
                       MessageContains("addmm: dtype mismatch: float32 and float64"));
}

TEST_CASE("products with one row or one column match the full formula for every transpose flag",
          "[autograd][fused]") {
  // (m, k, n) with n = 1 or m = 1: BLAS gemv rather than gemm.
  const auto [m, k, n] = GENERATE(std::make_tuple(std::size_t{4}, std::size_t{3}, std::size_t{1}),
                                  std::make_tuple(std::size_t{1}, std::size_t{3}, std::size_t{4}),
                                  std::make_tuple(std::size_t{1}, std::size_t{5}, std::size_t{1}));
  const bool ta = GENERATE(false, true);
  const bool tb = GENERATE(false, true);
  INFO("m " << m << ", k " << k << ", n " << n << ", flags " << ta << tb);
  const Tensor a = input(ta ? Shape{k, m} : Shape{m, k}, 12);
  const Tensor b = input(tb ? Shape{n, k} : Shape{k, n}, 13);
  const Tensor c = matmul(a, b, ta, tb);
  const auto& va = a.data<double>();
  const auto& vb = b.data<double>();
  std::vector<double> expected;
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      double total = 0;
      for (std::size_t p = 0; p < k; ++p) {
        total += (ta ? va(p, i) : va(i, p)) * (tb ? vb(j, p) : vb(p, j));
      }
      expected.push_back(total);
    }
  }
  check_values(c, {m, n}, expected, 1e-12);
  check_gradients_twice([ta = ta, tb = tb](const Inputs& x) { return matmul(x[0], x[1], ta, tb); },
                        {a, b});
}

TEST_CASE("backward without a graph computes the same bits as the recorded backward",
          "[autograd][fused]") {
  // The ops whose backward has a one-pass path for when no graph is recorded, in float32, where
  // any difference in the formula would show in the last bits.
  const Tensor x = input32({6, 4}, 20);
  const Tensor y = input32({6, 4}, 21);
  const Tensor w = input32({4, 3}, 22);
  const Tensor b = input32({3}, 23);
  const Tensor t = input32({6, 4}, 24, 0.0, 1.0);
  const std::vector<std::int64_t> classes{0, 3, 1, 2, 3, 0};
  const std::vector<std::pair<std::string, std::function<Tensor(const Inputs&)>>> ops{
      {"tanh", [](const Inputs& v) { return tanh(v[0]); }},
      {"sigmoid", [](const Inputs& v) { return sigmoid(v[0]); }},
      {"relu", [](const Inputs& v) { return relu(v[0]); }},
      {"mul", [](const Inputs& v) { return v[0] * v[1]; }},
      {"scalar mul", [](const Inputs& v) { return v[0] * 0.3; }},
      {"sum of axis 0", [](const Inputs& v) { return sum(v[0] * v[1], {0}); }},
      {"mean", [](const Inputs& v) { return mean(v[0] * v[1]); }},
      {"mse_loss", [](const Inputs& v) { return mse_loss(v[0], v[1]); }},
      {"mse_loss, sum", [](const Inputs& v) { return mse_loss(v[0], v[1], Reduction::sum); }},
      {"bce with logits",
       [t](const Inputs& v) { return binary_cross_entropy_with_logits(v[0] * v[1], t); }},
      {"cross_entropy", [classes](const Inputs& v) { return cross_entropy(v[0] * v[1], classes); }},
      {"cross_entropy, smoothed",
       [classes](const Inputs& v) {
         return cross_entropy(v[0] * v[1], classes, Reduction::sum, 0.2);
       }},
  };
  for (const auto& [name, f] : ops) {
    INFO(name);
    CHECK(gradients(f, {x, y}, false) == gradients(f, {x, y}, true));
  }
  auto affine = [](const Inputs& v) { return addmm(v[2], v[0], v[1]); };
  CHECK(gradients(affine, {x, w, b}, false) == gradients(affine, {x, w, b}, true));
}

TEST_CASE("a gradient two inputs share is not overwritten by the first backward that reads it",
          "[autograd][fused]") {
  // add hands the same gradient to both tanh nodes; the first must not write over it.
  Tensor a = f64({0.5, -1.0}, true);
  Tensor b = f64({2.0, 0.25}, true);
  (tanh(a) + tanh(b)).sum().backward();
  check_values(a.grad(), {2},
               {1 - std::tanh(0.5) * std::tanh(0.5), 1 - std::tanh(1.0) * std::tanh(1.0)});
  check_values(b.grad(), {2},
               {1 - std::tanh(2.0) * std::tanh(2.0), 1 - std::tanh(0.25) * std::tanh(0.25)});
}

TEST_CASE("a gradient the caller passes to backward is left as it was", "[autograd][fused]") {
  Tensor x = f64({0.5, -1.0, 2.0}, true);
  const Tensor seed = f64({1.0, 2.0, 3.0});
  sigmoid(x).backward(seed);
  check_values(seed, {3}, {1, 2, 3});
  Tensor z = f64({0.5, -1.0, 2.0}, true);
  relu(z).backward(seed);
  check_values(seed, {3}, {1, 2, 3});
  check_values(z.grad(), {3}, {1, 0, 3});
}

TEST_CASE("linear_loss equals the loss of addmm, for both losses, layouts and reductions",
          "[autograd][fused]") {
  // 3000 rows: several of the blocks the one pass reads x in.
  const LinearLoss loss = GENERATE(LinearLoss::mse, LinearLoss::binary_cross_entropy_with_logits);
  const Reduction reduction = GENERATE(Reduction::mean, Reduction::sum);
  const bool column = GENERATE(true, false);
  const Tensor x = input({3000, 3}, 30);
  const Tensor target = input({3000, 1}, 31, 0.0, 1.0);
  Tensor weight = input(column ? Shape{3, 1} : Shape{1, 3}, 32);
  Tensor bias = input({1}, 33);
  const Tensor fused = linear_loss(loss, x, weight, bias, target, reduction);
  fused.backward();
  const Tensor dweight = weight.grad(), dbias = bias.grad();
  weight.set_grad(Tensor());
  bias.set_grad(Tensor());
  const Tensor z = addmm(bias, x, column ? weight : transpose(weight));
  const Tensor unfused = loss == LinearLoss::mse
                             ? mse_loss(z, target, reduction)
                             : binary_cross_entropy_with_logits(z, target, reduction);
  unfused.backward();
  CHECK(fused.item() == Approx(unfused.item()).epsilon(1e-12));
  CHECK_THAT(values(dweight), Catch::Matchers::Approx(values(weight.grad())).epsilon(1e-12));
  CHECK_THAT(values(dbias), Catch::Matchers::Approx(values(bias.grad())).epsilon(1e-12));
}

TEST_CASE("linear_loss has correct first and second derivatives for every input",
          "[autograd][fused]") {
  const LinearLoss loss = GENERATE(LinearLoss::mse, LinearLoss::binary_cross_entropy_with_logits);
  const bool column = GENERATE(true, false);
  INFO("loss " << static_cast<int>(loss) << (column ? ", weight (in, 1)" : ", weight (1, in)"));
  const Inputs inputs{input({5, 3}, 34), input(column ? Shape{3, 1} : Shape{1, 3}, 35),
                      input({1}, 36), input({5, 1}, 37, 0.0, 1.0)};
  check_gradients_twice(
      [loss](const Inputs& v) { return linear_loss(loss, v[0], v[1], v[2], v[3]); }, inputs);
  check_gradients_twice(
      [loss](const Inputs& v) {
        return linear_loss(loss, v[0], v[1], Tensor(), v[2], Reduction::sum);
      },
      {inputs[0], inputs[1], inputs[3]});
}

TEST_CASE("linear_loss backward without a graph matches the recorded backward in float32",
          "[autograd][fused]") {
  const LinearLoss loss = GENERATE(LinearLoss::mse, LinearLoss::binary_cross_entropy_with_logits);
  const Tensor x = input32({2000, 4}, 38);
  const Tensor w = input32({4, 1}, 39);
  const Tensor b = input32({1}, 40);
  const Tensor t = input32({2000, 1}, 41, 0.0, 1.0);
  auto f = [loss, t](const Inputs& v) { return linear_loss(loss, v[0], v[1], v[2], t); };
  const auto fast = gradients(f, {x, w, b}, false);
  const auto recorded = gradients(f, {x, w, b}, true);
  for (std::size_t i = 0; i < fast.size(); ++i) {
    CHECK_THAT(fast[i], Catch::Matchers::Approx(recorded[i]).epsilon(1e-5).margin(1e-6));
  }
}

TEST_CASE("linear_loss names the loss and every shape in its errors", "[autograd][fused]") {
  const Tensor t = zeros({4, 1}, float64);
  CHECK_THROWS_MATCHES(
      linear_loss(LinearLoss::mse, zeros({4, 3}, float64), zeros({2, 1}, float64), Tensor(), t),
      std::invalid_argument,
      MessageContains("linear_loss(mse): need x (N, in), weight (in, 1) or (1, in), bias of one "
                      "element and target (N, 1); got x (4, 3), weight (2, 1), bias undefined, "
                      "target (4, 1)"));
  CHECK_THROWS_MATCHES(
      linear_loss(LinearLoss::binary_cross_entropy_with_logits, zeros({4, 3}, float64),
                  zeros({3, 1}, float64), zeros({2}, float64), t),
      std::invalid_argument,
      MessageContains("linear_loss(binary_cross_entropy_with_logits): need x"));
  CHECK_THROWS_MATCHES(linear_loss(LinearLoss::mse, zeros({4, 3}, float64), zeros({3, 1}, float64),
                                   Tensor(), t, Reduction::none),
                       std::invalid_argument,
                       MessageContains("reduction none has no one-pass form"));
  CHECK_THROWS_MATCHES(linear_loss(LinearLoss::mse, zeros({0, 3}, float64), zeros({3, 1}, float64),
                                   Tensor(), zeros({0, 1}, float64)),
                       std::invalid_argument, MessageContains("mean over an empty input"));
  CHECK_THROWS_MATCHES(
      linear_loss(LinearLoss::mse, zeros({4, 3}, float32), zeros({3, 1}, float64), Tensor(), t),
      std::invalid_argument, MessageContains("dtype mismatch"));
}

TEST_CASE("set_num_threads caps the thread count and rejects fewer than one",
          "[autograd][threads]") {
  const int before = get_num_threads();
  CHECK(before >= 1);
  set_num_threads(2);
  CHECK(get_num_threads() == 2);
  set_num_threads(1);
  CHECK(get_num_threads() == 1);
  CHECK_THROWS_MATCHES(set_num_threads(0), std::invalid_argument,
                       MessageContains("set_num_threads: need at least 1 thread, got 0"));
  set_num_threads(before);
}

TEST_CASE("the vectorised float exp and log1p stay within 2 ulp of the C library",
          "[autograd][fused]") {
  auto ulps = [](float a, float b) -> long {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : 1L << 40;
    if (a == b) return 0;
    std::int32_t ia, ib;
    std::memcpy(&ia, &a, sizeof ia);
    std::memcpy(&ib, &b, sizeof ib);
    return (ia < 0) != (ib < 0) ? 1L << 40 : std::labs(static_cast<long>(ia) - ib);
  };
  long worst_exp = 0, worst_log1p = 0;
  for (float x = -110.0f; x < 90.0f; x += 0.00731f) {
    worst_exp = std::max(worst_exp, ulps(kernels::exp_value(x), std::exp(x)));
  }
  for (float x = -0.9999f; x < 1e6f; x = x * (x > 0 ? 1.0007f : 0.9993f) + 1e-4f) {
    worst_log1p = std::max(worst_log1p, ulps(kernels::log1p_value(x), std::log1p(x)));
  }
  for (float x = 1e-30f; x < 1e-2f; x *= 1.01f) {
    worst_log1p = std::max(worst_log1p, ulps(kernels::log1p_value(x), std::log1p(x)));
  }
  CHECK(worst_exp <= 2);
  CHECK(worst_log1p <= 2);
  const float inf = std::numeric_limits<float>::infinity();
  for (float x : {inf, -inf, 0.0f, -0.0f, 100.0f, -200.0f, std::nanf("")}) {
    INFO("x = " << x);
    CHECK(ulps(kernels::exp_value(x), std::exp(x)) == 0);
  }
  for (float x : {inf, -1.0f, -2.0f, 0.0f, -0.0f, std::nanf("")}) {
    INFO("x = " << x);
    CHECK(ulps(kernels::log1p_value(x), std::log1p(x)) == 0);
    if (!std::isnan(x) && x >= -1.0f) {  // the sign of a zero or infinity, not of a NaN
      CHECK(std::signbit(kernels::log1p_value(x)) == std::signbit(std::log1p(x)));
    }
  }
}

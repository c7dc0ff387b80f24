// Tests of BackwardStep, the parameter update a backward pass takes itself: when a matrix product
// writes a scaled-sum step straight into its parameter, when the step gets the whole gradient
// instead (shared parameters, aliases, other ops), and the passes that take no step at all.
#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <vector>

#include "gradient_checks.hpp"

using namespace xgrad;
using xgrad::testing::input;
using xgrad::testing::MessageContains;
using xgrad::testing::values;

namespace {

// p = beta p + alpha grad, counting the calls to apply(): a step that a product wrote into the
// parameter never reaches apply().
class ScaledStep final : public BackwardStep {
 public:
  ScaledStep(double alpha, double beta, bool scaled = true)
      : alpha_(alpha), beta_(beta), scaled_(scaled) {}
  void apply(Tensor& param, const Tensor& grad) override {
    ++applied;
    CHECK_FALSE(GradMode::is_enabled());
    param.data<double>() = beta_ * param.data<double>() + alpha_ * grad.data<double>();
  }
  bool scaled_sum(double& alpha, double& beta) const override {
    alpha = alpha_;
    beta = beta_;
    return scaled_;
  }
  int applied = 0;

 private:
  double alpha_, beta_;
  bool scaled_;
};

constexpr double kAlpha = -0.1, kBeta = 0.9;

// A copy of `p`'s values as a new leaf requiring grad, for the unfused reference.
Tensor twin(const Tensor& p) {
  return p.detach().clone().requires_grad_();
}

// The parameter's values after one step: beta p + alpha grad, from the reference's gradient.
std::vector<double> stepped(const Tensor& reference) {
  std::vector<double> out = values(reference);
  const std::vector<double> g = values(reference.grad());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = kBeta * out[i] + kAlpha * g[i];
  return out;
}

std::shared_ptr<ScaledStep> give_step(Tensor& p, bool scaled = true) {
  auto step = std::make_shared<ScaledStep>(kAlpha, kBeta, scaled);
  p.set_backward_step(step);
  return step;
}

}  // namespace

TEST_CASE("a product that is a parameter's whole gradient writes the step into it",
          "[autograd][backward_step]") {
  // Every layout: W on either side, stored plain or transposed, matrix and vector shapes.
  struct Case {
    const char* what;
    Shape x_shape, w_shape;
    bool w_first, tx, tw;
  };
  const Case c = GENERATE(Case{"x @ W", {5, 3}, {3, 4}, false, false, false},
                          Case{"x @ W^T", {5, 3}, {4, 3}, false, false, true},
                          Case{"W @ x", {5, 3}, {4, 5}, true, false, false},
                          Case{"W^T @ x^T", {3, 5}, {5, 4}, true, true, true},
                          Case{"x @ w, w a column", {6, 3}, {3, 1}, false, false, false},
                          Case{"w @ x, w a row", {3, 6}, {1, 3}, true, false, false});
  INFO(c.what);
  const Tensor x = input(c.x_shape, 1).requires_grad_();
  Tensor w = input(c.w_shape, 2).requires_grad_();
  Tensor reference = twin(w);
  const Tensor xr = twin(x);
  auto loss = [&](const Tensor& xv, const Tensor& wv) {
    const Tensor y = c.w_first ? matmul(wv, xv, c.tw, c.tx) : matmul(xv, wv, c.tx, c.tw);
    return (y * y).sum();
  };
  loss(xr, reference).backward();
  const auto step = give_step(w);
  loss(x, w).backward();
  CHECK(step->applied == 0);  // the product wrote it
  CHECK_FALSE(w.grad().defined());
  CHECK_THAT(values(w), Catch::Matchers::Approx(stepped(reference)).epsilon(1e-12));
  // the other operand's gradient used the values from before the step
  CHECK_THAT(values(x.grad()), Catch::Matchers::Approx(values(xr.grad())).epsilon(1e-12));
}

TEST_CASE("addmm and linear write their weight's step; the bias gets its step from apply()",
          "[autograd][backward_step]") {
  const Tensor x = input({6, 3}, 3);
  Tensor w = input({4, 3}, 4).requires_grad_();
  Tensor b = input({4}, 5).requires_grad_();
  Tensor wr = twin(w), br = twin(b);
  xgrad::tanh(linear(x, wr, br)).sum().backward();
  const auto step_w = give_step(w);
  const auto step_b = give_step(b);
  xgrad::tanh(linear(x, w, b)).sum().backward();
  CHECK(step_w->applied == 0);
  CHECK(step_b->applied == 1);
  CHECK_THAT(values(w), Catch::Matchers::Approx(stepped(wr)).epsilon(1e-12));
  CHECK_THAT(values(b), Catch::Matchers::Approx(stepped(br)).epsilon(1e-12));

  Tensor w2 = input({3, 4}, 6).requires_grad_();
  Tensor w2r = twin(w2);
  addmm(b.detach(), x, w2r).sum().backward();
  const auto step_w2 = give_step(w2);
  addmm(b.detach(), x, w2).sum().backward();
  CHECK(step_w2->applied == 0);
  CHECK_THAT(values(w2), Catch::Matchers::Approx(stepped(w2r)).epsilon(1e-12));
}

TEST_CASE("a parameter the product is not the whole gradient of gets its step from apply()",
          "[autograd][backward_step]") {
  const Tensor x = input({5, 3}, 7);
  Tensor w = input({3, 3}, 8).requires_grad_();
  Tensor reference = twin(w);
  std::shared_ptr<ScaledStep> step;
  SECTION("used by two ops") {
    ((matmul(x, reference) * 2).sum() + (reference * reference).sum()).backward();
    step = give_step(w);
    ((matmul(x, w) * 2).sum() + (w * w).sum()).backward();
  }
  SECTION("on both sides of one product") {
    matmul(reference, reference).sum().backward();
    step = give_step(w);
    matmul(w, w).sum().backward();
  }
  SECTION("its values shared with a detached alias") {
    matmul(x, reference).sum().backward();
    step = give_step(w);
    const Tensor alias = w.detach();  // alive until the section ends
    matmul(x, w).sum().backward();
  }
  SECTION("a gradient already stored from an earlier backward") {
    matmul(x, reference).sum().backward();
    matmul(x, reference).sum().backward();  // reference.grad() holds both passes
    matmul(x, w).sum().backward();
    step = give_step(w);
    matmul(x, w).sum().backward();
  }
  SECTION("a step that is not a scaled sum") {
    matmul(x, reference).sum().backward();
    step = give_step(w, /*scaled=*/false);
    matmul(x, w).sum().backward();
  }
  SECTION("anomaly mode, which checks every gradient") {
    matmul(x, reference).sum().backward();
    step = give_step(w);
    detect_anomaly guard;
    matmul(x, w).sum().backward();
  }
  CHECK(step->applied == 1);
  CHECK_FALSE(w.grad().defined());
  CHECK_THAT(values(w), Catch::Matchers::Approx(stepped(reference)).epsilon(1e-12));
}

TEST_CASE("steps wait for the end of the pass: a later node still reads the values it saved",
          "[autograd][backward_step]") {
  // The detached alias's mul comes after W's AccumulateGrad in the walk, and its backward reads
  // W's values for y's gradient: they must be the values before the step.
  const Tensor x = input({5, 3}, 15);
  Tensor w = input({3, 3}, 16).requires_grad_();
  Tensor y = input({3, 3}, 17).requires_grad_();
  Tensor reference = twin(w);
  const std::vector<double> before = values(w);
  matmul(x, reference).sum().backward();
  const auto step = give_step(w);
  ((w.detach() * y).sum() + matmul(x, w).sum()).backward();
  CHECK(step->applied == 1);
  CHECK(values(y.grad()) == before);
  CHECK_THAT(values(w), Catch::Matchers::Approx(stepped(reference)).epsilon(1e-12));
}

TEST_CASE("a parameter that is also a root of backward gets its step from apply()",
          "[autograd][backward_step]") {
  // Its seed is a second gradient: the product alone is not its whole gradient.
  const Tensor x = input({4, 2}, 18);
  Tensor w = input({2, 2}, 19).requires_grad_();
  Tensor reference = twin(w);
  autograd::backward({matmul(x, reference).sum(), reference}, {Tensor(), ones({2, 2}, float64)});
  const auto step = give_step(w);
  autograd::backward({matmul(x, w).sum(), w}, {Tensor(), ones({2, 2}, float64)});
  CHECK(step->applied == 1);
  CHECK_THAT(values(w), Catch::Matchers::Approx(stepped(reference)).epsilon(1e-12));
}

TEST_CASE("both operands with steps: one written by the product, one from apply(), both right",
          "[autograd][backward_step]") {
  Tensor a = input({4, 3}, 9).requires_grad_();
  Tensor b = input({3, 5}, 10).requires_grad_();
  Tensor ar = twin(a), br = twin(b);
  (matmul(ar, br) * matmul(ar, br)).sum().backward();
  const auto step_a = give_step(a);
  const auto step_b = give_step(b);
  const Tensor y = matmul(a, b);
  (y * y).sum().backward();
  CHECK(step_a->applied + step_b->applied == 1);
  CHECK_THAT(values(a), Catch::Matchers::Approx(stepped(ar)).epsilon(1e-12));
  CHECK_THAT(values(b), Catch::Matchers::Approx(stepped(br)).epsilon(1e-12));
}

TEST_CASE("create_graph and autograd::grad take no step", "[autograd][backward_step]") {
  const Tensor x = input({5, 3}, 11).detach();  // no gradient: its graph would refer back to x
  Tensor w = input({3, 2}, 12).requires_grad_();
  const std::vector<double> before = values(w);
  const auto step = give_step(w);
  const Tensor loss = (matmul(x, w) * matmul(x, w)).sum();
  const std::vector<Tensor> g = autograd::grad({loss}, {w}, {}, /*retain_graph=*/true);
  CHECK(values(w) == before);
  CHECK_FALSE(w.grad().defined());
  loss.backward(Tensor(), false, /*create_graph=*/true);
  CHECK(step->applied == 0);
  CHECK(values(w) == before);
  REQUIRE(w.grad().defined());
  CHECK_THAT(values(w.grad()), Catch::Matchers::Approx(values(g[0])).epsilon(1e-12));
  w.set_grad(Tensor());  // the gradient's graph refers to w: a cycle until it is dropped
}

TEST_CASE("set_backward_step refuses a tensor that is not a leaf requiring grad",
          "[autograd][backward_step]") {
  Tensor constant = zeros({2}, float64);
  CHECK_THROWS_MATCHES(constant.set_backward_step(std::make_shared<ScaledStep>(kAlpha, kBeta)),
                       std::invalid_argument,
                       MessageContains("set_backward_step: only a leaf that requires grad can "
                                       "take a step in backward; this tensor does not require "
                                       "grad"));
  Tensor w = input({2}, 14).requires_grad_();
  Tensor made = w * 2;
  CHECK_THROWS_MATCHES(made.set_backward_step(std::make_shared<ScaledStep>(kAlpha, kBeta)),
                       std::invalid_argument, MessageContains("this tensor was made by 'mul'"));
  w.set_backward_step(std::make_shared<ScaledStep>(kAlpha, kBeta));
  w.set_backward_step(nullptr);
  CHECK_FALSE(w.backward_step());
  (w * w).sum().backward();
  CHECK(w.grad().defined());
}

// Tests of the nn losses: values by hand and against PyTorch, float64 gradchecks, the loss modules
// and their printing, LossFunction, and every argument error.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gradient_checks.hpp"
#include "nn/loss.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::check_gradients;
using xgrad::testing::error_message;

namespace {

// A float64 vector.
Tensor vec(std::initializer_list<double> values) {
  auto a = xt::xarray<double>::from_shape({values.size()});
  std::copy(values.begin(), values.end(), a.begin());
  return Tensor(std::move(a));
}

// The PyTorch cases of scripts/make_optim_reference.py (print_losses).
Tensor loss_input() {
  return vec({0.3, -1.2, 2.5, 0.0, -0.4});
}
Tensor loss_target() {
  return vec({0.1, 0.4, -0.5, 0.05, -0.4});
}
Tensor logits() {
  return Tensor(xt::xarray<double>{{1.0, 2.0, 0.5}, {-0.3, 0.1, 0.8}, {2.0, -1.0, 0.0}, {0, 0, 0}});
}
const std::vector<std::int64_t> classes{1, 2, 0, 1};

void check_values(const Tensor& actual, const std::vector<double>& expected) {
  REQUIRE(actual.numel() == expected.size());
  const auto& values = actual.data<double>();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("element " << i);
    CHECK(values.data()[i] == Approx(expected[i]).epsilon(1e-12).margin(1e-15));
  }
}

// A gradcheck pair: `input` in [-1, 1) and a target at input + d, where every d keeps at least 0.1
// away from the kinks of l1 (d = 0) and huber (|d| = delta = 1); both require grad.
std::pair<Tensor, Tensor> kink_free_pair(const Shape& shape, std::uint64_t seed) {
  Tensor input = xgrad::testing::input(shape, seed);
  const double offsets[] = {0.3, -1.7, 0.6, -0.4, 2.2, -0.9, 1.3};
  Tensor target = input.detach().clone();
  auto& t = target.data<double>();
  for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] -= offsets[i % 7];
  target.requires_grad_(true);
  return {input, target};
}

}  // namespace

TEST_CASE("l1_loss averages absolute differences", "[nn][loss]") {
  // |d| = 0.2, 1.6, 3.0, 0.05, 0: sum 4.85
  CHECK(nn::l1_loss(loss_input(), loss_target()).item() == Approx(4.85 / 5).epsilon(1e-12));
  CHECK(nn::l1_loss(loss_input(), loss_target(), Reduction::sum).item() ==
        Approx(4.85).epsilon(1e-12));
  check_values(nn::l1_loss(loss_input(), loss_target(), Reduction::none),
               {0.2, 1.6, 3.0, 0.05, 0.0});
  CHECK(nn::l1_loss(loss_input(), loss_target()).item() ==
        Approx(0.96999999999999997).epsilon(1e-12));  // PyTorch
}

TEST_CASE("huber_loss is quadratic inside delta and linear outside, as in PyTorch", "[nn][loss]") {
  // delta 1, d = 0.2, -1.6, 3.0, -0.05, 0:
  // 0.5 0.04 = 0.02; 1.6 - 0.5 = 1.1; 3 - 0.5 = 2.5; 0.5 0.0025 = 0.00125; 0 -> sum 3.62125
  CHECK(nn::huber_loss(loss_input(), loss_target()).item() == Approx(3.62125 / 5).epsilon(1e-12));
  // delta 0.5: 0.5 (1.6 - 0.25) = 0.675 and 0.5 (3 - 0.25) = 1.375 outside the band
  check_values(nn::huber_loss(loss_input(), loss_target(), 0.5, Reduction::none),
               {0.02, 0.675, 1.375, 0.00125, 0.0});
  // scripts/make_optim_reference.py: F.huber_loss(x, y, delta=1.0)
  CHECK(nn::huber_loss(loss_input(), loss_target()).item() ==
        Approx(0.72425000000000006).epsilon(1e-12));
}

TEST_CASE("huber_loss gradients are d inside delta and delta sign(d) outside", "[nn][loss]") {
  Tensor input = vec({0.3, -2.0, 4.0});
  input.requires_grad_(true);
  nn::huber_loss(input, zeros({3}, float64), 1.0, Reduction::sum).backward();
  check_values(input.grad(), {0.3, -1.0, 1.0});
}

TEST_CASE("nll_loss picks minus the target log-probability of each row", "[nn][loss]") {
  Tensor log_probs(xt::xarray<double>{{-0.1, -2.0, -3.0}, {-1.5, -0.7, -0.9}});
  check_values(nn::nll_loss(log_probs, std::vector<std::int64_t>{2, 0}, Reduction::none),
               {3.0, 1.5});
  CHECK(nn::nll_loss(log_probs, std::vector<std::int64_t>{2, 0}).item() == Approx(2.25));
  CHECK(nn::nll_loss(log_probs, vec({1, 1}), Reduction::sum).item() == Approx(2.7));
  // After log_softmax it is cross-entropy; PyTorch's F.nll_loss(F.log_softmax(logits, 1), target)
  check_values(nn::nll_loss(log_softmax(logits(), 1), classes, Reduction::none),
               {0.46436878410794491, 0.60401886670677873, 0.16984601955628548, 1.0986122886681098});
}

TEST_CASE("nll_loss gradient is minus one at each target and zero elsewhere", "[nn][loss]") {
  Tensor log_probs = zeros({2, 3}, float64, true);
  nn::nll_loss(log_probs, std::vector<std::int64_t>{2, 0}, Reduction::sum).backward();
  CHECK(bool(log_probs.grad().data<double>() == xt::xarray<double>{{0, 0, -1}, {-1, 0, 0}}));
}

TEST_CASE("cross_entropy with label smoothing mixes the target with a uniform distribution",
          "[nn][loss]") {
  // Row 0 by hand: logits (1, 2, 0.5), target 1, e = 0.1; -log p[c] = lse - z[c]
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(0.5));
  const double row0 = 0.9 * (lse - 2.0) + 0.1 * ((lse - 1.0) + (lse - 2.0) + (lse - 0.5)) / 3;
  Tensor rows = xgrad::cross_entropy(logits(), classes, Reduction::none, 0.1);
  CHECK(rows.data<double>()(0) == Approx(row0).epsilon(1e-12));
  // Row 3 has equal logits: every class costs log 3, whatever the smoothing.
  CHECK(rows.data<double>()(3) == Approx(std::log(3.0)).epsilon(1e-12));
  // scripts/make_optim_reference.py: F.cross_entropy(logits, target, label_smoothing=e)
  check_values(rows,
               {0.54770211744127828, 0.66401886670677879, 0.33651268622295216, 1.0986122886681098});
  CHECK(xgrad::cross_entropy(logits(), classes, Reduction::mean, 0.1).item() ==
        Approx(0.66171148975977967).epsilon(1e-12));
  CHECK(xgrad::cross_entropy(logits(), vec({1, 2, 0, 1}), Reduction::sum, 0.1).item() ==
        Approx(2.6468459590391187).epsilon(1e-12));
  CHECK(xgrad::cross_entropy(logits(), classes, Reduction::mean, 1.0).item() ==
        Approx(1.3592114897597798).epsilon(1e-12));
}

TEST_CASE("cross_entropy without label smoothing is the fused autograd op", "[nn][loss]") {
  Tensor z = logits();
  z.requires_grad_(true);
  Tensor fused = xgrad::cross_entropy(z, classes, Reduction::none, 0.0);
  CHECK(fused.grad_fn()->name() == "cross_entropy");
  check_values(fused,
               {0.46436878410794491, 0.60401886670677873, 0.16984601955628548, 1.0986122886681098});
  CHECK(xgrad::cross_entropy(z, vec({1, 2, 0, 1}), Reduction::none).grad_fn()->name() ==
        "cross_entropy");
}

TEST_CASE("l2_penalty sums the squares of every tensor and differentiates to 2 p", "[nn][loss]") {
  Tensor a = Tensor(xt::xarray<double>{{1, -2}, {0.5, 3}}, true);
  Tensor b = Tensor(xt::xarray<double>{-1.5}, true);
  Tensor penalty = nn::l2_penalty({a, b});
  CHECK(penalty.item() == Approx(1 + 4 + 0.25 + 9 + 2.25));
  penalty.backward();
  CHECK(bool(a.grad().data<double>() == xt::xarray<double>{{2, -4}, {1, 6}}));
  CHECK(b.grad().data<double>()(0) == -3.0);
}

TEST_CASE("functional losses pass gradcheck in float64", "[nn][loss][gradcheck]") {
  const Shape shape = GENERATE(Shape{}, Shape{5}, Shape{2, 3});
  const Reduction reduction = GENERATE(Reduction::mean, Reduction::sum, Reduction::none);
  const auto [input, target] = kink_free_pair(shape, 11);
  SECTION("l1_loss") {
    check_gradients(
        [&](const std::vector<Tensor>& in) { return nn::l1_loss(in[0], in[1], reduction); },
        {input, target});
  }
  SECTION("huber_loss") {
    check_gradients(
        [&](const std::vector<Tensor>& in) { return nn::huber_loss(in[0], in[1], 1.0, reduction); },
        {input, target});
  }
}

TEST_CASE("class-index losses and l2_penalty pass gradcheck in float64", "[nn][loss][gradcheck]") {
  const Reduction reduction = GENERATE(Reduction::mean, Reduction::sum, Reduction::none);
  Tensor scores = xgrad::testing::input({4, 3}, 12, -2.0, 2.0);
  SECTION("nll_loss") {
    check_gradients(
        [&](const std::vector<Tensor>& in) { return nn::nll_loss(in[0], classes, reduction); },
        {scores});
  }
  SECTION("cross_entropy with label smoothing, first and second derivatives") {
    xgrad::testing::check_gradients_twice(
        [&](const std::vector<Tensor>& in) {
          return xgrad::cross_entropy(in[0], classes, reduction, 0.2);
        },
        {scores});
  }
  SECTION("l2_penalty") {
    Tensor other = xgrad::testing::input({2}, 13);
    check_gradients([](const std::vector<Tensor>& in) { return nn::l2_penalty(in); },
                    {scores, other});
  }
}

TEST_CASE("loss modules compute their functional forms", "[nn][loss]") {
  Tensor x = loss_input();
  Tensor y = loss_target();
  Tensor p = vec({0.2, 0.9, 0.5});
  Tensor t = vec({0.0, 1.0, 1.0});
  CHECK(nn::MSELoss()(x, y).item() == mse_loss(x, y).item());
  CHECK(nn::MSELoss(Reduction::sum)(x, y).item() == mse_loss(x, y, Reduction::sum).item());
  CHECK(nn::L1Loss()(x, y).item() == nn::l1_loss(x, y).item());
  CHECK(nn::HuberLoss(0.5)(x, y).item() == nn::huber_loss(x, y, 0.5).item());
  CHECK(nn::BCELoss()(p, t).item() == binary_cross_entropy(p, t).item());
  CHECK(nn::BCEWithLogitsLoss()(x, y).item() == binary_cross_entropy_with_logits(x, y).item());
  CHECK(nn::CrossEntropyLoss()(logits(), vec({1, 2, 0, 1})).item() ==
        xgrad::cross_entropy(logits(), classes).item());
  CHECK(nn::CrossEntropyLoss(Reduction::mean, 0.1)(logits(), vec({1, 2, 0, 1})).item() ==
        Approx(0.66171148975977967).epsilon(1e-12));
  CHECK(nn::NLLLoss(Reduction::sum)(log_softmax(logits(), 1), vec({1, 2, 0, 1})).item() ==
        xgrad::cross_entropy(logits(), classes, Reduction::sum).item());
}

TEST_CASE("loss modules print like their constructors", "[nn][loss]") {
  CHECK(nn::MSELoss().repr() == "MSELoss(reduction=mean)");
  CHECK(nn::L1Loss(Reduction::sum).repr() == "L1Loss(reduction=sum)");
  CHECK(nn::HuberLoss(0.5, Reduction::none).repr() == "HuberLoss(reduction=none, delta=0.5)");
  CHECK(nn::BCELoss().repr() == "BCELoss(reduction=mean)");
  CHECK(nn::BCEWithLogitsLoss().repr() == "BCEWithLogitsLoss(reduction=mean)");
  CHECK(nn::CrossEntropyLoss(Reduction::mean, 0.1).repr() ==
        "CrossEntropyLoss(reduction=mean, label_smoothing=0.1)");
  CHECK(nn::NLLLoss().repr() == "NLLLoss(reduction=mean)");
}

TEST_CASE("loss modules and functions convert to LossFunction", "[nn][loss]") {
  nn::MSELoss mse;
  nn::HuberLoss huber(0.5);
  const std::vector<nn::LossFunction> losses{
      std::ref(mse),
      [&huber](const Tensor& p, const Tensor& t) { return huber(p, t); },
      [](const Tensor& p, const Tensor& t) { return nn::l1_loss(p, t); },
  };
  CHECK(losses[0](loss_input(), loss_target()).item() ==
        mse_loss(loss_input(), loss_target()).item());
  CHECK(losses[1](loss_input(), loss_target()).item() ==
        nn::huber_loss(loss_input(), loss_target(), 0.5).item());
  CHECK(losses[2](loss_input(), loss_target()).item() == Approx(0.97));
  nn::Loss& base = huber;  // used through the base, as a training loop might
  CHECK(base(loss_input(), loss_target()).item() == losses[1](loss_input(), loss_target()).item());
}

TEST_CASE("bad loss arguments are refused by name and value", "[nn][loss]") {
  const Tensor x = loss_input();
  const Tensor y = loss_target();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(nn::huber_loss(x, y, -1.0), std::invalid_argument);
  CHECK_THAT(error_message([&] { nn::huber_loss(x, y, -1.0); }),
             Contains("huber_loss: delta must be finite and > 0, got -1"));
  CHECK_THAT(error_message([&] { nn::huber_loss(x, y, 0.0); }), Contains("got 0"));
  CHECK_THAT(error_message([&] { nn::HuberLoss{nan}; }),
             Contains("HuberLoss: delta must be finite and > 0, got nan"));
  CHECK_THROWS_AS(xgrad::cross_entropy(logits(), classes, Reduction::mean, 1.5),
                  std::invalid_argument);
  CHECK_THAT(error_message([&] { xgrad::cross_entropy(logits(), classes, Reduction::mean, -0.1); }),
             Contains("cross_entropy: label_smoothing must be in [0, 1], got -0.1"));
  CHECK_THAT(error_message([] { nn::CrossEntropyLoss(Reduction::mean, 2.0); }),
             Contains("CrossEntropyLoss: label_smoothing must be in [0, 1], got 2"));

  CHECK_THROWS_AS(nn::l1_loss(x, zeros({5, 1}, float64)), std::invalid_argument);
  CHECK_THAT(error_message([&] {
               nn::l1_loss(x, zeros({5, 1}, float64));
             }),
             Contains("l1_loss: input (5,) and target (5, 1) differ in shape"));
  CHECK_THAT(error_message([&] { nn::huber_loss(x, zeros({4}, float64)); }),
             Contains("huber_loss: input (5,) and target (4,) differ in shape"));
  CHECK_THAT(error_message([&] { nn::l1_loss(x, zeros({5})); }),
             Contains("l1_loss: input is float64, target is float32"));
  CHECK_THAT(error_message([&] { nn::l1_loss(Tensor(), y); }),
             Contains("l1_loss: input is undefined"));
  CHECK_THAT(error_message([&] { nn::l1_loss(zeros({0}), zeros({0})); }),
             Contains("l1_loss: mean over an empty input of shape (0,)"));
}

TEST_CASE("bad class targets are refused by name, value and row", "[nn][loss]") {
  const Tensor log_probs = zeros({2, 3}, float64);
  CHECK_THROWS_AS(nn::nll_loss(log_probs, std::vector<std::int64_t>{0, 3}), std::out_of_range);
  CHECK_THAT(error_message([&] {
               nn::nll_loss(log_probs, std::vector<std::int64_t>{0, 3});
             }),
             Contains("nll_loss: target 3 out of range for 3 classes (row 1)"));
  CHECK_THAT(error_message([&] {
               nn::nll_loss(log_probs, std::vector<std::int64_t>{-1, 0});
             }),
             Contains("nll_loss: target -1 out of range for 3 classes (row 0)"));
  CHECK_THAT(error_message([&] {
               nn::nll_loss(log_probs, vec({0, 1.5}));
             }),
             Contains("nll_loss: target 1.5 is not a class index (row 1)"));
  CHECK_THAT(error_message([&] { nn::nll_loss(log_probs, std::vector<std::int64_t>{0}); }),
             Contains("nll_loss: 1 targets for input of shape (2, 3)"));
  CHECK_THAT(error_message([&] { nn::nll_loss(zeros({3}), std::vector<std::int64_t>{0}); }),
             Contains("nll_loss: input must be 2-D (N, C) log-probabilities; got (3,)"));
  CHECK_THAT(error_message([&] {
               nn::nll_loss(log_probs, zeros({2, 1}));
             }),
             Contains("nll_loss: target must be 1-D class indices; got (2, 1)"));
  CHECK_THAT(
      error_message([&] {
        xgrad::cross_entropy(log_probs, std::vector<std::int64_t>{0, 5}, Reduction::mean, 0.1);
      }),
      Contains("cross_entropy: target 5 out of range for 3 classes (row 1)"));
}

TEST_CASE("bad l2_penalty arguments and a loss called without target are refused", "[nn][loss]") {
  CHECK_THROWS_AS(nn::l2_penalty({}), std::invalid_argument);
  CHECK_THAT(error_message([] { nn::l2_penalty({}); }), Contains("l2_penalty: no tensors given"));
  CHECK_THAT(error_message([] {
               nn::l2_penalty({ones({2}), Tensor()});
             }),
             Contains("l2_penalty: tensor 1 is undefined"));
  CHECK_THAT(error_message([] {
               nn::l2_penalty({ones({2}), ones({2}, float64)});
             }),
             Contains("l2_penalty: tensor 1 is float64, tensor 0 is float32"));
  nn::MSELoss mse;
  nn::Module& module = mse;
  CHECK_THROWS_AS(module.forward(ones({2})), std::logic_error);
  CHECK_THAT(error_message([&] { module.forward(ones({2})); }),
             Contains("MSELoss: a loss takes (input, target)"));
}

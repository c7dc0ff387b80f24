// Tests of the learning-rate schedulers: lr sequences by formula and against PyTorch, the rate
// reaching the optimizer, chaining with outside changes, and every bad-argument error.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gradient_checks.hpp"
#include "nn/optim/lr_scheduler.hpp"
#include "nn/optim/sgd.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::error_message;

namespace {

constexpr double pi = 3.14159265358979323846;

// An SGD with lr 0.1 on one parameter, as scripts/make_optim_reference.py uses.
optim::SGD make_sgd() {
  return optim::SGD({zeros({1}, float32, true)}, 0.1);
}

// The optimizer's rate after each of `epochs` calls of `step`.
std::vector<double> lr_sequence(optim::Optimizer& optimizer, std::size_t epochs,
                                const std::function<void(std::size_t)>& step) {
  std::vector<double> lrs;
  for (std::size_t epoch = 0; epoch < epochs; ++epoch) {
    step(epoch);
    lrs.push_back(optimizer.lr());
  }
  return lrs;
}

void check_sequence(const std::vector<double>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("after step " << i + 1);
    CHECK(actual[i] == Approx(expected[i]).epsilon(1e-12).margin(1e-15));
  }
}

// scripts/make_optim_reference.py (PLATEAU_METRICS)
const std::vector<double> plateau_metrics{1.0,  0.9,  0.95, 0.9,  0.91, 0.8999, 0.85,
                                          0.86, 0.87, 0.88, 0.89, 0.9,  0.91,   0.7,
                                          0.71, 0.72, 0.73, 0.74, 0.75, 0.76};

}  // namespace

TEST_CASE("StepLR multiplies by gamma every step_size epochs, as PyTorch",
          "[optim][lr_scheduler]") {
  optim::SGD sgd = make_sgd();
  optim::StepLR scheduler(sgd, 3, 0.5);
  CHECK(scheduler.get_last_lr() == 0.1);
  const auto lrs = lr_sequence(sgd, 10, [&](std::size_t) { scheduler.step(); });
  // 0.1 * 0.5^(epoch / 3) for epochs 1..10
  check_sequence(lrs, {0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125});
  // scripts/make_optim_reference.py: StepLR(o, 3, 0.5)
  check_sequence(
      lrs, {0.10000000000000001, 0.10000000000000001, 0.050000000000000003, 0.050000000000000003,
            0.050000000000000003, 0.025000000000000001, 0.025000000000000001, 0.025000000000000001,
            0.012500000000000001, 0.012500000000000001});
  CHECK(scheduler.last_epoch() == 10);
  CHECK(scheduler.get_last_lr() == sgd.lr());
  CHECK(scheduler.base_lr() == 0.1);
}

TEST_CASE("ExponentialLR multiplies by gamma every epoch, as PyTorch", "[optim][lr_scheduler]") {
  optim::SGD sgd = make_sgd();
  optim::ExponentialLR scheduler(sgd, 0.9);
  const auto lrs = lr_sequence(sgd, 6, [&](std::size_t) { scheduler.step(); });
  check_sequence(lrs, {0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441});
  // scripts/make_optim_reference.py: ExponentialLR(o, 0.9)
  check_sequence(lrs, {0.090000000000000011, 0.081000000000000016, 0.07290000000000002,
                       0.065610000000000016, 0.059049000000000018, 0.05314410000000002});
}

TEST_CASE("CosineAnnealingLR follows the cosine down to eta_min and back, as PyTorch",
          "[optim][lr_scheduler]") {
  optim::SGD sgd = make_sgd();
  optim::CosineAnnealingLR scheduler(sgd, 4, 0.01);
  const auto lrs = lr_sequence(sgd, 14, [&](std::size_t) { scheduler.step(); });
  std::vector<double> closed_form;
  for (int t = 1; t <= 14; ++t) {
    closed_form.push_back(0.01 + (0.1 - 0.01) * (1 + std::cos(pi * t / 4)) / 2);
  }
  for (std::size_t i = 0; i < lrs.size(); ++i) {
    INFO("epoch " << i + 1);
    CHECK(lrs[i] == Approx(closed_form[i]).epsilon(1e-12));
  }
  // scripts/make_optim_reference.py: CosineAnnealingLR(o, 4, 0.01), past T_max and back up
  check_sequence(lrs, {0.086819805153394644, 0.055000000000000007, 0.023180194846605363, 0.01,
                       0.023180194846605363, 0.055000000000000021, 0.086819805153394686,
                       0.10000000000000006, 0.0868198051533947, 0.055000000000000049,
                       0.023180194846605412, 0.01, 0.023180194846605363, 0.054999999999999924});
}

TEST_CASE("epoch schedulers build on the optimizer's current rate, as PyTorch's chainable form",
          "[optim][lr_scheduler]") {
  optim::SGD sgd = make_sgd();
  optim::StepLR scheduler(sgd, 2, 0.5);
  scheduler.step();  // epoch 1: unchanged
  sgd.set_lr(1.0);   // changed by other code
  scheduler.step();  // epoch 2: 1.0 * 0.5
  CHECK(sgd.lr() == 0.5);
  CHECK(scheduler.get_last_lr() == 0.5);
}

TEST_CASE("ReduceLROnPlateau halves the rate after patience bad epochs, as PyTorch",
          "[optim][lr_scheduler]") {
  optim::SGD sgd = make_sgd();
  using Mode = optim::ReduceLROnPlateau::Mode;
  optim::ReduceLROnPlateau scheduler(sgd, Mode::min, 0.5, 2, 1e-2, 1, 0.02);
  const auto lrs = lr_sequence(sgd, plateau_metrics.size(),
                               [&](std::size_t e) { scheduler.step(plateau_metrics[e]); });
  // By hand: best 0.9 after epoch 2; 0.95, 0.9, 0.91 are not below 0.9 (1 - 0.01) = 0.891, so
  // epoch 5 is the third bad one (> patience 2) and halves the rate; epoch 6 is the cooldown.
  // 0.85 is a new best at epoch 7; epochs 8-10 are bad: 0.025 at epoch 10. After epoch 11's
  // cooldown, 0.7 is a best at epoch 14 and epochs 15-17 are bad: max(0.0125, min_lr) = 0.02.
  check_sequence(lrs, {0.1,   0.1,   0.1,   0.1,   0.05,  0.05,  0.05, 0.05, 0.05, 0.025,
                       0.025, 0.025, 0.025, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02});
  CHECK(scheduler.best() == 0.7);
  CHECK(scheduler.last_epoch() == 20);
  CHECK(scheduler.get_last_lr() == 0.02);
}

TEST_CASE("ReduceLROnPlateau in max mode waits for increases, as PyTorch",
          "[optim][lr_scheduler]") {
  optim::SGD sgd = make_sgd();
  using Mode = optim::ReduceLROnPlateau::Mode;
  optim::ReduceLROnPlateau scheduler(sgd, Mode::max, 0.5, 2, 1e-2, 1, 0.02);
  const auto lrs = lr_sequence(sgd, plateau_metrics.size(),
                               [&](std::size_t e) { scheduler.step(-plateau_metrics[e]); });
  // scripts/make_optim_reference.py: the same settings in 'max' mode on the negated metrics (the
  // relative threshold makes this differ from min mode: best (1 + 0.01) moves toward 0).
  check_sequence(lrs, {0.1,  0.1,  0.1,  0.1,  0.1,  0.1,  0.1,   0.1,   0.1,   0.05,
                       0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025});
  CHECK(scheduler.best() == -0.7);
}

TEST_CASE("ReduceLROnPlateau defaults wait ten epochs and cut the rate tenfold",
          "[optim][lr_scheduler]") {
  optim::SGD sgd = make_sgd();
  optim::ReduceLROnPlateau scheduler(sgd);
  const auto lrs = lr_sequence(sgd, 14, [&](std::size_t) { scheduler.step(1.0); });
  // scripts/make_optim_reference.py: ReduceLROnPlateau(o) on a constant metric
  check_sequence(lrs, {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.010000000000000002,
                       0.010000000000000002, 0.010000000000000002});
  CHECK(scheduler.num_bad_epochs() == 2);
  CHECK_FALSE(scheduler.in_cooldown());
}

TEST_CASE("bad scheduler arguments are refused by name and value", "[optim][lr_scheduler]") {
  optim::SGD sgd = make_sgd();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  using Mode = optim::ReduceLROnPlateau::Mode;
  CHECK_THROWS_AS(optim::StepLR(sgd, 0), std::invalid_argument);
  CHECK_THAT(error_message([&] { optim::StepLR(sgd, 0); }),
             Contains("StepLR: step_size must be >= 1, got 0"));
  CHECK_THAT(error_message([&] { optim::StepLR(sgd, 3, -0.5); }),
             Contains("StepLR: gamma must be finite and > 0, got -0.5"));
  CHECK_THAT(error_message([&] { optim::ExponentialLR(sgd, nan); }),
             Contains("ExponentialLR: gamma must be finite and > 0, got nan"));
  CHECK_THAT(error_message([&] { optim::CosineAnnealingLR(sgd, 0); }),
             Contains("CosineAnnealingLR: T_max must be >= 1, got 0"));
  CHECK_THAT(error_message([&] { optim::CosineAnnealingLR(sgd, 10, -0.1); }),
             Contains("CosineAnnealingLR: eta_min must be finite and >= 0, got -0.1"));
  CHECK_THROWS_AS(optim::ReduceLROnPlateau(sgd, Mode::min, 1.0), std::invalid_argument);
  CHECK_THAT(error_message([&] { optim::ReduceLROnPlateau(sgd, Mode::min, 1.0); }),
             Contains("ReduceLROnPlateau: factor must be in [0, 1), got 1"));
  CHECK_THAT(error_message([&] { optim::ReduceLROnPlateau(sgd, Mode::min, 0.1, -1); }),
             Contains("ReduceLROnPlateau: patience must be >= 0, got -1"));
  CHECK_THAT(error_message([&] { optim::ReduceLROnPlateau(sgd, Mode::min, 0.1, 10, -1e-4); }),
             Contains("ReduceLROnPlateau: threshold must be finite and >= 0, got -0.0001"));
  CHECK_THAT(error_message([&] { optim::ReduceLROnPlateau(sgd, Mode::min, 0.1, 10, 1e-4, -2); }),
             Contains("ReduceLROnPlateau: cooldown must be >= 0, got -2"));
  CHECK_THAT(
      error_message([&] { optim::ReduceLROnPlateau(sgd, Mode::min, 0.1, 10, 1e-4, 0, nan); }),
      Contains("ReduceLROnPlateau: min_lr must be finite and >= 0, got nan"));
  CHECK_THAT(
      error_message([&] { optim::ReduceLROnPlateau(sgd, Mode::min, 0.1, 10, 1e-4, 0, 0, -1); }),
      Contains("ReduceLROnPlateau: eps must be finite and >= 0, got -1"));
}

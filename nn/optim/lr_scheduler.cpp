// Learning-rate schedulers: PyTorch's chainable update rules and ReduceLROnPlateau's bookkeeping.
#include "nn/optim/lr_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "nn/optim/detail.hpp"

namespace xgrad::optim {

namespace {

void check_at_least(const std::string& who, const char* argument, long value, long minimum) {
  if (value < minimum) {
    throw std::invalid_argument(who + ": " + argument + " must be >= " + std::to_string(minimum) +
                                ", got " + std::to_string(value));
  }
}

// Python's a % m for m > 0: never negative.
long floor_mod(long a, long m) {
  return ((a % m) + m) % m;
}

constexpr double pi = 3.14159265358979323846;

}  // namespace

LRScheduler::LRScheduler(Optimizer& optimizer)
    : optimizer_(optimizer), base_lr_(optimizer.lr()), last_lr_(optimizer.lr()) {}

void LRScheduler::step() {
  ++last_epoch_;
  optimizer_.set_lr(get_lr(optimizer_.lr()));
  last_lr_ = optimizer_.lr();
}

StepLR::StepLR(Optimizer& optimizer, long step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  check_at_least("StepLR", "step_size", step_size, 1);
  detail::check_positive("StepLR", "gamma", gamma);
}

double StepLR::get_lr(double lr) const {
  // lr gamma at every multiple of step_size, unchanged in between
  return last_epoch_ % step_size_ == 0 ? lr * gamma_ : lr;
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler(optimizer), gamma_(gamma) {
  detail::check_positive("ExponentialLR", "gamma", gamma);
}

double ExponentialLR::get_lr(double lr) const {
  return lr * gamma_;
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, long t_max, double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
  check_at_least("CosineAnnealingLR", "T_max", t_max, 1);
  detail::check_non_negative("CosineAnnealingLR", "eta_min", eta_min);
}

double CosineAnnealingLR::get_lr(double lr) const {
  const double t = static_cast<double>(last_epoch_);
  const double t_max = static_cast<double>(t_max_);
  // Leaving the minimum (epoch - 1 = T_max mod 2 T_max) the ratio below would divide by
  // 1 + cos(pi) = 0; PyTorch adds the first rise of the cosine instead.
  if (floor_mod(last_epoch_ - 1 - t_max_, 2 * t_max_) == 0) {
    return lr + (base_lr_ - eta_min_) * (1 - std::cos(pi / t_max)) / 2;
  }
  // eta_t - eta_min = (eta_{t-1} - eta_min) (1 + cos(pi t / T)) / (1 + cos(pi (t - 1) / T))
  return (1 + std::cos(pi * t / t_max)) / (1 + std::cos(pi * (t - 1) / t_max)) * (lr - eta_min_) +
         eta_min_;
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, Mode mode, double factor, long patience,
                                     double threshold, long cooldown, double min_lr, double eps)
    : optimizer_(optimizer),
      mode_(mode),
      factor_(factor),
      patience_(patience),
      threshold_(threshold),
      cooldown_(cooldown),
      min_lr_(min_lr),
      eps_(eps),
      best_(mode == Mode::min ? std::numeric_limits<double>::infinity()
                              : -std::numeric_limits<double>::infinity()) {
  const std::string who = "ReduceLROnPlateau";
  detail::check_fraction(who, "factor", factor, /*one_allowed=*/false);
  check_at_least(who, "patience", patience, 0);
  detail::check_non_negative(who, "threshold", threshold);
  check_at_least(who, "cooldown", cooldown, 0);
  detail::check_non_negative(who, "min_lr", min_lr);
  detail::check_non_negative(who, "eps", eps);
}

bool ReduceLROnPlateau::is_better(double metric) const {
  return mode_ == Mode::min ? metric < best_ * (1 - threshold_) : metric > best_ * (1 + threshold_);
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (in_cooldown()) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs during cooldown do not count
  }
  if (num_bad_epochs_ > patience_) {
    const double old_lr = optimizer_.lr();
    const double new_lr = std::max(old_lr * factor_, min_lr_);
    if (old_lr - new_lr > eps_) optimizer_.set_lr(new_lr);
    cooldown_counter_ = cooldown_;
    num_bad_epochs_ = 0;
  }
}

}  // namespace xgrad::optim

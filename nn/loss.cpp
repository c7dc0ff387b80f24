// Losses as compositions of autograd ops (l1, huber, nll, label-smoothed cross-entropy, L2
// penalty), and the loss modules that call them or the fused autograd losses.
#include "nn/loss.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "autograd/factory.hpp"
#include "autograd/ops.hpp"

namespace xgrad::nn {

namespace {

void check_delta(const char* who, double delta) {
  if (!(delta > 0) || !std::isfinite(delta)) {
    throw std::invalid_argument(std::string(who) + ": delta must be finite and > 0, got " +
                                format_number(delta));
  }
}

void check_label_smoothing(const char* who, double label_smoothing) {
  if (!(label_smoothing >= 0 && label_smoothing <= 1)) {
    throw std::invalid_argument(std::string(who) + ": label_smoothing must be in [0, 1], got " +
                                format_number(label_smoothing));
  }
}

}  // namespace

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_loss_pair("l1_loss", input, target);
  return apply_reduction("l1_loss", abs(input - target), reduction);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, double delta, Reduction reduction) {
  check_delta("huber_loss", delta);
  check_loss_pair("huber_loss", input, target);
  // With a = |d| and q = min(a, delta): 0.5 q^2 + delta (a - q) is 0.5 d^2 inside the band and
  // delta (|d| - 0.5 delta) outside; clamp's zero gradient past delta leaves delta sign(d) there.
  Tensor a = abs(input - target);
  Tensor q = clamp(a, 0.0, delta);
  return apply_reduction("huber_loss", 0.5 * q * q + delta * (a - q), reduction);
}

Tensor nll_loss(const Tensor& log_probs, const std::vector<std::int64_t>& target,
                Reduction reduction) {
  return nll_loss(log_probs, from_vector(target, {target.size()}), reduction);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction) {
  return xgrad::nll_loss(log_probs, target, Tensor(), -100, reduction);
}

Tensor l2_penalty(const std::vector<Tensor>& params) {
  if (params.empty()) throw std::invalid_argument("l2_penalty: no tensors given");
  Tensor total;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    if (!p.defined()) {
      throw std::invalid_argument("l2_penalty: tensor " + std::to_string(i) + " is undefined");
    }
    if (p.dtype() != params[0].dtype()) {
      throw std::invalid_argument("l2_penalty: tensor " + std::to_string(i) + " is " +
                                  dtype_name(p.dtype()) + ", tensor 0 is " +
                                  dtype_name(params[0].dtype()));
    }
    Tensor square_sum = sum(p * p);
    total = total.defined() ? total + square_sum : square_sum;
  }
  return total;
}

Tensor Loss::forward(const Tensor&) {
  throw std::logic_error(type_name() +
                         ": a loss takes (input, target); call forward(input, target)");
}

std::string Loss::extra_repr() const {
  return std::string("reduction=") + reduction_name(reduction_);
}

Tensor MSELoss::forward(const Tensor& input, const Tensor& target) {
  return mse_loss(input, target, reduction_);
}

Tensor L1Loss::forward(const Tensor& input, const Tensor& target) {
  return l1_loss(input, target, reduction_);
}

HuberLoss::HuberLoss(double delta, Reduction reduction) : Loss(reduction), delta_(delta) {
  check_delta("HuberLoss", delta);
}

Tensor HuberLoss::forward(const Tensor& input, const Tensor& target) {
  return huber_loss(input, target, delta_, reduction_);
}

std::string HuberLoss::extra_repr() const {
  return Loss::extra_repr() + ", delta=" + format_number(delta_);
}

Tensor BCELoss::forward(const Tensor& input, const Tensor& target) {
  return binary_cross_entropy(input, target, reduction_);
}

Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) {
  return binary_cross_entropy_with_logits(input, target, reduction_);
}

CrossEntropyLoss::CrossEntropyLoss(Reduction reduction, double label_smoothing)
    : Loss(reduction), label_smoothing_(label_smoothing) {
  check_label_smoothing("CrossEntropyLoss", label_smoothing);
}

Tensor CrossEntropyLoss::forward(const Tensor& logits, const Tensor& target) {
  return xgrad::cross_entropy(logits, target, reduction_, label_smoothing_);
}

std::string CrossEntropyLoss::extra_repr() const {
  return Loss::extra_repr() + ", label_smoothing=" + format_number(label_smoothing_);
}

Tensor NLLLoss::forward(const Tensor& log_probs, const Tensor& target) {
  return nll_loss(log_probs, target, reduction_);
}

}  // namespace xgrad::nn

// Losses: the functional forms autograd does not already have (l1, huber, nll, cross-entropy with
// label smoothing, the L2 penalty), the loss modules (MSELoss, CrossEntropyLoss, ...) and
// LossFunction, the type-erased loss a training loop takes. Every loss here is a composition of
// autograd ops or a fused autograd loss; gradients come from backward().
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/ops/loss.hpp"
#include "autograd/tensor.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

/// |input - target|. input and target must have the same shape and dtype (no broadcasting).
/// Throws std::invalid_argument "l1_loss: input (3,) and target (3, 1) differ in shape".
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);

/// PyTorch's Huber loss of d = input - target: 0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta)
/// elsewhere. Shapes as l1_loss; throws std::invalid_argument unless delta is finite and > 0.
Tensor huber_loss(const Tensor& input, const Tensor& target, double delta = 1.0,
                  Reduction reduction = Reduction::mean);

/// Negative log-likelihood: -log_probs[i, target[i]] for log-probabilities (N, C) (the output of
/// log_softmax over axis 1) and class indices (N). Throws std::invalid_argument for other shapes
/// and std::out_of_range "nll_loss: target 7 out of range for 5 classes (row 12)".
Tensor nll_loss(const Tensor& log_probs, const std::vector<std::int64_t>& target,
                Reduction reduction = Reduction::mean);
/// The same with the class indices in a tensor of shape (N,) holding whole numbers.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target,
                Reduction reduction = Reduction::mean);

/// The L2 regularization term sum_p sum(p^2) over every given tensor, as a scalar the caller
/// scales (loss + 0.5 * lambda * l2_penalty(model.parameters())). Throws std::invalid_argument for
/// an empty list, an undefined tensor or mixed dtypes.
Tensor l2_penalty(const std::vector<Tensor>& params);

/// xgrad::reduction_name (autograd/ops/loss.hpp), also reachable as nn::reduction_name.
using ::xgrad::reduction_name;

/// A loss as a training loop takes it. Modules convert with a lambda or std::ref:
/// `LossFunction f = std::ref(mse);` or `[&](auto& p, auto& t) { return mse(p, t); }`.
using LossFunction = std::function<Tensor(const Tensor& prediction, const Tensor& target)>;

/// The base of the loss modules: a Module whose forward takes a prediction and a target and that
/// prints its reduction ("MSELoss(reduction=mean)").
class Loss : public Module {
 public:
  explicit Loss(Reduction reduction = Reduction::mean) : reduction_(reduction) {}

  /// The loss of `input` against `target`, reduced as constructed.
  virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
  /// A loss needs a target: throws std::logic_error naming the loss.
  Tensor forward(const Tensor& input) override;

  Reduction reduction() const { return reduction_; }
  std::string extra_repr() const override;

 protected:
  Reduction reduction_;
};

/// Mean squared error, xgrad::mse_loss.
class MSELoss : public Loss {
 public:
  using Loss::forward;
  using Loss::Loss;
  Tensor forward(const Tensor& input, const Tensor& target) override;
};

/// Mean absolute error, l1_loss.
class L1Loss : public Loss {
 public:
  using Loss::forward;
  using Loss::Loss;
  Tensor forward(const Tensor& input, const Tensor& target) override;
};

/// huber_loss with a fixed delta. Throws std::invalid_argument unless delta is finite and > 0.
class HuberLoss : public Loss {
 public:
  explicit HuberLoss(double delta = 1.0, Reduction reduction = Reduction::mean);
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  std::string extra_repr() const override;
  double delta() const { return delta_; }

 private:
  double delta_;
};

/// Binary cross-entropy of probabilities, xgrad::binary_cross_entropy.
class BCELoss : public Loss {
 public:
  using Loss::forward;
  using Loss::Loss;
  Tensor forward(const Tensor& input, const Tensor& target) override;
};

/// Binary cross-entropy of logits, xgrad::binary_cross_entropy_with_logits.
class BCEWithLogitsLoss : public Loss {
 public:
  using Loss::forward;
  using Loss::Loss;
  Tensor forward(const Tensor& input, const Tensor& target) override;
};

/// cross_entropy of logits (N, C) against class indices held in a tensor (N,). Throws
/// std::invalid_argument unless 0 <= label_smoothing <= 1.
class CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(Reduction reduction = Reduction::mean, double label_smoothing = 0.0);
  using Loss::forward;
  Tensor forward(const Tensor& logits, const Tensor& target) override;
  std::string extra_repr() const override;
  double label_smoothing() const { return label_smoothing_; }

 private:
  double label_smoothing_;
};

/// nll_loss of log-probabilities (N, C) against class indices held in a tensor (N,).
class NLLLoss : public Loss {
 public:
  using Loss::forward;
  using Loss::Loss;
  Tensor forward(const Tensor& log_probs, const Tensor& target) override;
};

}  // namespace xgrad::nn

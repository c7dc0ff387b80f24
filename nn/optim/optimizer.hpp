// optim::Optimizer: the base of every optimizer. It holds the parameters and the learning rate;
// subclasses implement update(), one parameter's step in place from its gradient, which step()
// applies from .grad() and a backward pass applies itself once fuse_into_backward() is on.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad::optim {

class Optimizer {
 public:
  /// Throws std::invalid_argument for an empty parameter list, an undefined parameter, one that
  /// does not require grad, one that is not a leaf, one listed twice, or a learning rate that is
  /// negative or not finite.
  Optimizer(std::vector<Tensor> params, double lr, std::string name);
  /// Takes its steps out of the parameters' backward passes (fuse_into_backward(false)).
  virtual ~Optimizer();
  // The parameters' backward steps point at this optimizer: it stays where it was made.
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter that has a gradient; parameters without one are skipped.
  void step();
  /// Drops every parameter's gradient, as PyTorch's zero_grad(set_to_none=True) (its default since
  /// 2.0): the next backward adopts its gradient buffers instead of adding them into zeros, two
  /// passes over every gradient saved per step. set_to_none = false fills them with zeros, keeping
  /// the buffers (and a CapturedGraph replays that fill).
  void zero_grad(bool set_to_none = true);

  /// With fused on, every plain backward() that reaches a parameter takes this optimizer's step
  /// for it when the pass ends, and stores no gradient (.grad() stays undefined; step() and
  /// zero_grad() then have nothing to do, so a training loop keeps working unchanged). This is
  /// PyTorch's optimizer step fused into the backward pass. For plain SGD (no momentum) the matrix
  /// product that computes a weight's gradient writes the update straight into the weight (one
  /// gemm, beta = 1 - lr weight_decay, alpha = -lr), so that gradient is never stored at all. The
  /// result equals backward() then step() up to rounding. Backward passes under create_graph, and
  /// autograd::grad, do not step: their gradients go to .grad() as usual. Throws
  /// std::invalid_argument when another optimizer already takes a backward step for one of the
  /// parameters.
  void fuse_into_backward(bool fused = true);
  bool fused_into_backward() const { return fused_; }

  double lr() const { return lr_; }
  /// Throws std::invalid_argument for a negative or non-finite rate.
  void set_lr(double lr);
  const std::vector<Tensor>& params() const { return params_; }
  const std::string& name() const { return name_; }

 protected:
  /// Parameter `index`'s step from its gradient `grad`, in place; called with grad mode off.
  virtual void update(std::size_t index, const Tensor& grad) = 0;
  /// True when update() is p = beta p + alpha grad for every parameter (alpha and beta set then),
  /// as BackwardStep::scaled_sum; false (the default) otherwise.
  virtual bool scaled_sum(double& alpha, double& beta) const;

  std::vector<Tensor> params_;
  double lr_;
  std::string name_;

 private:
  class Step;
  /// Throws std::runtime_error when `grad` is not of parameter `index`'s shape and dtype.
  void check_grad(std::size_t index, const Tensor& grad) const;
  bool fused_ = false;
};

}  // namespace xgrad::optim

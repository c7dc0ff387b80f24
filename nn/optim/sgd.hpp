// optim::SGD: stochastic gradient descent with optional momentum, dampening, Nesterov momentum and
// L2 weight decay, exactly as torch.optim.SGD.
#pragma once

#include <vector>

#include "nn/optim/optimizer.hpp"

namespace xgrad::optim {

class SGD : public Optimizer {
 public:
  /// weight_decay adds weight_decay * p to each gradient (L2 regularization). Throws
  /// std::invalid_argument for a learning rate, momentum or weight_decay that is negative or not
  /// finite, dampening outside [0, 1], and nesterov without momentum > 0 and dampening 0; and as
  /// Optimizer for the parameters.
  SGD(std::vector<Tensor> params, double lr, double momentum = 0, double dampening = 0,
      double weight_decay = 0, bool nesterov = false);

  double momentum() const { return momentum_; }
  double dampening() const { return dampening_; }
  double weight_decay() const { return weight_decay_; }
  bool nesterov() const { return nesterov_; }

 protected:
  void update(std::size_t index, const Tensor& grad) override;
  /// Without momentum: p = (1 - lr weight_decay) p - lr grad.
  bool scaled_sum(double& alpha, double& beta) const override;

 private:
  double momentum_;
  double dampening_;
  double weight_decay_;
  bool nesterov_;
  std::vector<Tensor> momentum_buffers_;  // one per parameter, allocated at its first step
};

}  // namespace xgrad::optim

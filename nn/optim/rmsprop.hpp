// optim::RMSprop: gradient steps divided by a running root mean square of the gradient, with
// optional centering, momentum and L2 weight decay, exactly as torch.optim.RMSprop.
#pragma once

#include <vector>

#include "nn/optim/optimizer.hpp"

namespace xgrad::optim {

class RMSprop : public Optimizer {
 public:
  /// alpha is the smoothing constant of the running averages; centered divides by an estimate of
  /// the gradient's variance instead of its second moment. Throws std::invalid_argument for alpha
  /// outside [0, 1], a learning rate, eps, weight_decay or momentum that is negative or not
  /// finite, and as Optimizer for the parameters.
  RMSprop(std::vector<Tensor> params, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
          double weight_decay = 0, double momentum = 0, bool centered = false);

  double alpha() const { return alpha_; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  double momentum() const { return momentum_; }
  bool centered() const { return centered_; }

 protected:
  void update(std::size_t index, const Tensor& grad) override;

 private:
  struct State {
    Tensor square_avg;       // running mean of g^2
    Tensor grad_avg;         // running mean of g (centered only)
    Tensor momentum_buffer;  // (momentum > 0 only)
  };

  double alpha_;
  double eps_;
  double weight_decay_;
  double momentum_;
  bool centered_;
  std::vector<State> state_;  // one per parameter, buffers allocated at its first step
};

}  // namespace xgrad::optim

// optim::Adam and optim::AdamW: adaptive moment estimation, with L2 weight decay folded into the
// gradient (Adam) or decoupled weight decay applied to the parameter (AdamW), and the amsgrad
// variant, exactly as torch.optim.Adam and torch.optim.AdamW.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/optim/optimizer.hpp"

namespace xgrad::optim {

class Adam : public Optimizer {
 public:
  /// Throws std::invalid_argument for a learning rate, eps or weight_decay that is negative or not
  /// finite, a beta outside [0, 1), and as Optimizer for the parameters.
  Adam(std::vector<Tensor> params, double lr = 1e-3, std::pair<double, double> betas = {0.9, 0.999},
       double eps = 1e-8, double weight_decay = 0, bool amsgrad = false);

  std::pair<double, double> betas() const { return betas_; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  bool amsgrad() const { return amsgrad_; }

 protected:
  /// For AdamW: decoupled_weight_decay shrinks the parameter instead of adding to the gradient.
  Adam(std::vector<Tensor> params, double lr, std::pair<double, double> betas, double eps,
       double weight_decay, bool amsgrad, bool decoupled_weight_decay, std::string name);
  void update(std::size_t index, const Tensor& grad) override;

 private:
  struct State {
    // This parameter's own step count, for the bias corrections; shared with the kernel a
    // captured step records (capture.hpp), whose replays count on.
    std::shared_ptr<long> step;
    Tensor exp_avg;         // m: running mean of the gradient
    Tensor exp_avg_sq;      // v: running mean of its square
    Tensor max_exp_avg_sq;  // the largest v so far (amsgrad only)
  };

  std::pair<double, double> betas_;
  double eps_;
  double weight_decay_;
  bool amsgrad_;
  bool decoupled_weight_decay_;
  std::vector<State> state_;  // one per parameter, buffers allocated at its first step
};

/// Adam with decoupled weight decay (Loshchilov & Hutter): p = p (1 - lr weight_decay) before the
/// Adam step, and the gradient is left alone. Throws as Adam.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, double lr = 1e-3,
        std::pair<double, double> betas = {0.9, 0.999}, double eps = 1e-8,
        double weight_decay = 1e-2, bool amsgrad = false);
};

}  // namespace xgrad::optim

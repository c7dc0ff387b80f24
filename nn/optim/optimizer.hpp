// optim::Optimizer: the base of every optimizer. It holds the parameters and the learning rate;
// subclasses implement step(), updating the parameters in place from their .grad().
#pragma once

#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad::optim {

class Optimizer {
 public:
  /// Throws std::invalid_argument for an empty parameter list, an undefined parameter, one that
  /// does not require grad, one listed twice, or a learning rate that is negative or not finite.
  Optimizer(std::vector<Tensor> params, double lr, std::string name);
  virtual ~Optimizer() = default;

  /// One update of every parameter that has a gradient; parameters without one are skipped.
  virtual void step() = 0;
  /// Zero-fills every parameter's gradient (keeping the buffers).
  void zero_grad();

  double lr() const { return lr_; }
  /// Throws std::invalid_argument for a negative or non-finite rate.
  void set_lr(double lr);
  const std::vector<Tensor>& params() const { return params_; }
  const std::string& name() const { return name_; }

 protected:
  std::vector<Tensor> params_;
  double lr_;
  std::string name_;
};

}  // namespace xgrad::optim

// optim::Optimizer: argument checks and the shared parts of every optimizer.
#include "nn/optim/optimizer.hpp"

#include <cmath>
#include <stdexcept>

namespace xgrad::optim {

Optimizer::Optimizer(std::vector<Tensor> params, double lr, std::string name)
    : params_(std::move(params)), lr_(0), name_(std::move(name)) {
  if (params_.empty()) throw std::invalid_argument(name_ + ": no parameters to optimize");
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].defined() || !params_[i].requires_grad()) {
      throw std::invalid_argument(
          name_ + ": parameter " + std::to_string(i) +
          (params_[i].defined() ? " does not require grad" : " is undefined"));
    }
    for (std::size_t j = 0; j < i; ++j) {
      // step() would update it twice.
      if (params_[j].is_same(params_[i])) {
        throw std::invalid_argument(name_ + ": parameter " + std::to_string(i) + " is parameter " +
                                    std::to_string(j) + " again; list each parameter once");
      }
    }
  }
  set_lr(lr);
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

void Optimizer::set_lr(double lr) {
  if (!(lr >= 0) || !std::isfinite(lr)) {
    throw std::invalid_argument(name_ + ": learning rate must be finite and >= 0, got " +
                                std::to_string(lr));
  }
  lr_ = lr;
}

}  // namespace xgrad::optim

// optim::Optimizer: argument checks and the shared parts of every optimizer.
#include "nn/optim/optimizer.hpp"

#include <cmath>
#include <memory>
#include <stdexcept>

#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"

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
    if (!params_[i].is_leaf()) {
      // Its values are recomputed by every forward pass: a step would be overwritten, and its
      // gradient is not kept (PyTorch: "can't optimize a non-leaf Tensor").
      throw std::invalid_argument(
          name_ + ": parameter " + std::to_string(i) + " is not a leaf (it was made by '" +
          params_[i].grad_fn()->name() + "'); can't optimize a non-leaf tensor");
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

// The backward step of one parameter: this optimizer's update of it.
class Optimizer::Step final : public BackwardStep {
 public:
  Step(Optimizer& optimizer, std::size_t index) : optimizer_(optimizer), index_(index) {}
  void apply(Tensor&, const Tensor& grad) override {
    no_grad guard;
    optimizer_.check_grad(index_, grad);
    optimizer_.update(index_, grad);
  }
  bool scaled_sum(double& alpha, double& beta) const override {
    return optimizer_.scaled_sum(alpha, beta);
  }
  const Optimizer& optimizer() const { return optimizer_; }

 private:
  Optimizer& optimizer_;
  std::size_t index_;
};

Optimizer::~Optimizer() {
  fuse_into_backward(false);
}

void Optimizer::step() {
  no_grad guard;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor grad = params_[i].grad();
    if (!grad.defined()) continue;
    check_grad(i, grad);
    update(i, grad);
    // A graph that saved the old values must not backward through the new ones.
    detail::bump_version(*params_[i].impl()->storage, "step");
  }
}

void Optimizer::check_grad(std::size_t index, const Tensor& grad) const {
  // update() reads grad over the parameter's extent: a gradient written for other values (the
  // parameter's data replaced in place, say) would be read past its end.
  const Tensor& param = params_[index];
  if (!grad.has_shape(param.sizes()) || grad.dtype() != param.dtype()) {
    throw std::runtime_error(name_ + ": parameter " + std::to_string(index) + " is " +
                             dtype_name(param.dtype()) + " " + format_shape(param.sizes()) +
                             " but its gradient is " + dtype_name(grad.dtype()) + " " +
                             format_shape(grad.sizes()) +
                             "; zero_grad() and run backward again after changing the parameter");
  }
}

bool Optimizer::scaled_sum(double&, double&) const {
  return false;
}

void Optimizer::fuse_into_backward(bool fused) {
  auto ours = [this](const Tensor& p) {
    const auto* step = dynamic_cast<const Step*>(p.backward_step().get());
    return step && &step->optimizer() == this;
  };
  if (!fused) {
    for (Tensor& p : params_) {
      if (ours(p)) p.set_backward_step(nullptr);
    }
    fused_ = false;
    return;
  }
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (params_[i].backward_step() && !ours(params_[i])) {
      throw std::invalid_argument(name_ + ": parameter " + std::to_string(i) +
                                  " already takes another optimizer's step in backward");
    }
  }
  for (std::size_t i = 0; i < params_.size(); ++i) {
    params_[i].set_backward_step(std::make_shared<Step>(*this, i));
  }
  fused_ = true;
}

void Optimizer::zero_grad(bool set_to_none) {
  for (Tensor& p : params_) {
    if (set_to_none) {
      p.set_grad(Tensor());
    } else {
      p.zero_grad();
    }
  }
}

void Optimizer::set_lr(double lr) {
  if (!(lr >= 0) || !std::isfinite(lr)) {
    throw std::invalid_argument(name_ + ": learning rate must be finite and >= 0, got " +
                                std::to_string(lr));
  }
  lr_ = lr;
}

}  // namespace xgrad::optim

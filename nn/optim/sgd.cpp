// optim::SGD: the update loop, in place on each parameter's values.
#include "nn/optim/sgd.hpp"

#include <stdexcept>

#include "autograd/parallel.hpp"
#include "nn/optim/detail.hpp"

namespace xgrad::optim {

SGD::SGD(std::vector<Tensor> params, double lr, double momentum, double dampening,
         double weight_decay, bool nesterov)
    : Optimizer(std::move(params), lr, "SGD"),
      momentum_(momentum),
      dampening_(dampening),
      weight_decay_(weight_decay),
      nesterov_(nesterov),
      momentum_buffers_(params_.size()) {
  detail::check_non_negative(name_, "momentum", momentum);
  detail::check_fraction(name_, "dampening", dampening, /*one_allowed=*/true);
  detail::check_non_negative(name_, "weight_decay", weight_decay);
  if (nesterov && (momentum <= 0 || dampening != 0)) {
    throw std::invalid_argument(
        "SGD: nesterov momentum requires momentum > 0 and dampening 0, got momentum " +
        format_number(momentum) + " and dampening " + format_number(dampening));
  }
}

bool SGD::scaled_sum(double& alpha, double& beta) const {
  if (momentum_ != 0) return false;
  alpha = -lr_;
  beta = 1 - lr_ * weight_decay_;
  return true;
}

void SGD::update(std::size_t i, const Tensor& grad) {
  Tensor& param = params_[i];
  // g = grad + weight_decay p
  // b = g at the first step, then b = momentum b + (1 - dampening) g
  // d = g + momentum b with nesterov, else d = b (d = g without momentum)
  // p = p - lr d
  const bool first = momentum_ != 0 && detail::ensure_state(name_, i, momentum_buffers_[i], param);
  dispatch(param.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = param.data<T>().data();
    const T* dp = grad.data<T>().data();
    T* b = momentum_ != 0 ? momentum_buffers_[i].data<T>().data() : nullptr;
    const T lr = static_cast<T>(lr_);
    const T wd = static_cast<T>(weight_decay_);
    const T mu = static_cast<T>(momentum_);
    const T keep = static_cast<T>(1 - dampening_);
    xgrad::detail::for_each_range(param.numel(), [&](std::size_t begin, std::size_t end) {
      for (std::size_t j = begin; j < end; ++j) {
        T d = weight_decay_ != 0 ? dp[j] + wd * p[j] : dp[j];
        if (b) {
          b[j] = first ? d : mu * b[j] + keep * d;
          d = nesterov_ ? d + mu * b[j] : b[j];
        }
        p[j] -= lr * d;
      }
    });
  });
}

}  // namespace xgrad::optim

// optim::SGD: the update loop, in place on each parameter's values.
#include "nn/optim/sgd.hpp"

#include <stdexcept>

#include "autograd/parallel.hpp"
#include "autograd/tape.hpp"
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
  bool first = false;
  if (momentum_ != 0) {
    // State, not a value of the step: a captured step (capture.hpp) must not refill it on replay.
    xgrad::detail::TapePause outside_capture;
    first = detail::ensure_state(name_, i, momentum_buffers_[i], param);
  }
  dispatch(param.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T lr = static_cast<T>(lr_);
    const T wd = static_cast<T>(weight_decay_);
    const T mu = static_cast<T>(momentum_);
    const T keep = static_cast<T>(1 - dampening_);
    auto run = [n = param.numel(), lr, wd, mu, keep, decay = weight_decay_ != 0,
                nesterov = nesterov_](T* p, const T* dp, T* b, bool first) {
      xgrad::detail::for_each_range(n, [&](std::size_t begin, std::size_t end) {
        for (std::size_t j = begin; j < end; ++j) {
          T d = decay ? dp[j] + wd * p[j] : dp[j];
          if (b) {
            b[j] = first ? d : mu * b[j] + keep * d;
            d = nesterov ? d + mu * b[j] : b[j];
          }
          p[j] -= lr * d;
        }
      });
    };
    Tensor& buffer = momentum_buffers_[i];
    run(param.data<T>().data(), grad.data<T>().data(),
        momentum_ != 0 ? buffer.data<T>().data() : nullptr, first);
    if (!xgrad::detail::active_tape) return;
    // Replayed as a later step: the first one, which sets the momentum buffer, has been taken.
    const std::size_t n = param.numel();
    if (momentum_ == 0) {
      xgrad::detail::record_kernel(
          "step", {&param, &grad}, {&param},
          [run, n, sp = param.impl()->storage.get(), sg = grad.impl()->storage.get()]() {
            using xgrad::detail::replay_values;
            run(replay_values<T>(*sp, n), replay_values<T>(*sg, n), nullptr, false);
          });
    } else {
      xgrad::detail::record_kernel(
          "step", {&param, &grad, &buffer}, {&param, &buffer},
          [run, n, sp = param.impl()->storage.get(), sg = grad.impl()->storage.get(),
           sb = buffer.impl()->storage.get()]() {
            using xgrad::detail::replay_values;
            run(replay_values<T>(*sp, n), replay_values<T>(*sg, n), replay_values<T>(*sb, n),
                false);
          });
    }
  });
}

}  // namespace xgrad::optim

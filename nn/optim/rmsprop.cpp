// optim::RMSprop: the update loop, in place on each parameter's values and running averages.
#include "nn/optim/rmsprop.hpp"

#include <cmath>

#include "autograd/parallel.hpp"
#include "nn/optim/detail.hpp"

namespace xgrad::optim {

RMSprop::RMSprop(std::vector<Tensor> params, double lr, double alpha, double eps,
                 double weight_decay, double momentum, bool centered)
    : Optimizer(std::move(params), lr, "RMSprop"),
      alpha_(alpha),
      eps_(eps),
      weight_decay_(weight_decay),
      momentum_(momentum),
      centered_(centered),
      state_(params_.size()) {
  detail::check_fraction(name_, "alpha", alpha, /*one_allowed=*/true);
  detail::check_non_negative(name_, "eps", eps);
  detail::check_non_negative(name_, "weight_decay", weight_decay);
  detail::check_non_negative(name_, "momentum", momentum);
}

void RMSprop::update(std::size_t i, const Tensor& grad) {
  Tensor& param = params_[i];
  State& s = state_[i];
  detail::ensure_state(name_, i, s.square_avg, param);
  if (centered_) detail::ensure_state(name_, i, s.grad_avg, param);
  if (momentum_ > 0) detail::ensure_state(name_, i, s.momentum_buffer, param);
  // g = grad + wd p;   s = alpha s + (1 - alpha) g^2
  // centered: a = alpha a + (1 - alpha) g and r = sqrt(s - a^2) + eps;   else r = sqrt(s) + eps
  // momentum: b = momentum b + g / r and p = p - lr b;   else p = p - lr g / r
  dispatch(param.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = param.data<T>().data();
    const T* dp = grad.data<T>().data();
    T* sq = s.square_avg.data<T>().data();
    T* avg = centered_ ? s.grad_avg.data<T>().data() : nullptr;
    T* b = momentum_ > 0 ? s.momentum_buffer.data<T>().data() : nullptr;
    const T lr = static_cast<T>(lr_);
    const T a = static_cast<T>(alpha_);
    const T one_minus_a = static_cast<T>(1 - alpha_);
    const T eps = static_cast<T>(eps_);
    const T wd = static_cast<T>(weight_decay_);
    const T mu = static_cast<T>(momentum_);
    xgrad::detail::for_each_range(param.numel(), [&](std::size_t begin, std::size_t end) {
      for (std::size_t j = begin; j < end; ++j) {
        const T g = weight_decay_ != 0 ? dp[j] + wd * p[j] : dp[j];
        sq[j] = a * sq[j] + one_minus_a * g * g;
        T r;
        if (avg) {
          avg[j] = a * avg[j] + one_minus_a * g;
          r = std::sqrt(sq[j] - avg[j] * avg[j]) + eps;
        } else {
          r = std::sqrt(sq[j]) + eps;
        }
        if (b) {
          b[j] = mu * b[j] + g / r;
          p[j] -= lr * b[j];
        } else {
          p[j] -= lr * g / r;
        }
      }
    });
  });
}

}  // namespace xgrad::optim

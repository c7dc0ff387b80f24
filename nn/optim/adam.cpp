// optim::Adam and optim::AdamW: the shared update loop, in place on each parameter's values and
// moment buffers.
#include "nn/optim/adam.hpp"

#include <algorithm>
#include <cmath>

#include "autograd/parallel.hpp"
#include "nn/optim/detail.hpp"

namespace xgrad::optim {

Adam::Adam(std::vector<Tensor> params, double lr, std::pair<double, double> betas, double eps,
           double weight_decay, bool amsgrad)
    : Adam(std::move(params), lr, betas, eps, weight_decay, amsgrad, false, "Adam") {}

Adam::Adam(std::vector<Tensor> params, double lr, std::pair<double, double> betas, double eps,
           double weight_decay, bool amsgrad, bool decoupled_weight_decay, std::string name)
    : Optimizer(std::move(params), lr, std::move(name)),
      betas_(betas),
      eps_(eps),
      weight_decay_(weight_decay),
      amsgrad_(amsgrad),
      decoupled_weight_decay_(decoupled_weight_decay),
      state_(params_.size()) {
  detail::check_fraction(name_, "beta1", betas.first, /*one_allowed=*/false);
  detail::check_fraction(name_, "beta2", betas.second, /*one_allowed=*/false);
  detail::check_non_negative(name_, "eps", eps);
  detail::check_non_negative(name_, "weight_decay", weight_decay);
}

void Adam::update(std::size_t i, const Tensor& grad) {
  const double beta1 = betas_.first;
  const double beta2 = betas_.second;
  Tensor& param = params_[i];
  State& s = state_[i];
  detail::ensure_state(name_, i, s.exp_avg, param);
  detail::ensure_state(name_, i, s.exp_avg_sq, param);
  if (amsgrad_) detail::ensure_state(name_, i, s.max_exp_avg_sq, param);
  ++s.step;
  // AdamW: p = p (1 - lr wd).   Adam: g = grad + wd p.
  // m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2;   amsgrad: v_max = max(v_max,
  // v) p = p - lr / (1 - beta1^t) m / (sqrt(v or v_max) / sqrt(1 - beta2^t) + eps)
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(s.step));
  const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(s.step));
  dispatch(param.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = param.data<T>().data();
    const T* dp = grad.data<T>().data();
    T* m = s.exp_avg.data<T>().data();
    T* v = s.exp_avg_sq.data<T>().data();
    T* v_max = amsgrad_ ? s.max_exp_avg_sq.data<T>().data() : nullptr;
    const T b1 = static_cast<T>(beta1);
    const T b2 = static_cast<T>(beta2);
    const T one_minus_b1 = static_cast<T>(1 - beta1);
    const T one_minus_b2 = static_cast<T>(1 - beta2);
    const T wd = static_cast<T>(weight_decay_);
    const T shrink = static_cast<T>(1 - lr_ * weight_decay_);
    const T step_size = static_cast<T>(lr_ / bias_correction1);
    const T correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
    const T eps = static_cast<T>(eps_);
    const bool decay = weight_decay_ != 0;
    xgrad::detail::for_each_range(param.numel(), [&](std::size_t begin, std::size_t end) {
      for (std::size_t j = begin; j < end; ++j) {
        T g = dp[j];
        if (decay && decoupled_weight_decay_) p[j] *= shrink;
        if (decay && !decoupled_weight_decay_) g += wd * p[j];
        m[j] = b1 * m[j] + one_minus_b1 * g;
        v[j] = b2 * v[j] + one_minus_b2 * g * g;
        T second = v[j];
        if (v_max) second = v_max[j] = std::max(v_max[j], v[j]);
        p[j] -= step_size * m[j] / (std::sqrt(second) / correction2_sqrt + eps);
      }
    });
  });
}

AdamW::AdamW(std::vector<Tensor> params, double lr, std::pair<double, double> betas, double eps,
             double weight_decay, bool amsgrad)
    : Adam(std::move(params), lr, betas, eps, weight_decay, amsgrad, true, "AdamW") {}

}  // namespace xgrad::optim

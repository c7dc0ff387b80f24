// optim::Adam and optim::AdamW: the shared update loop, in place on each parameter's values and
// moment buffers.
#include "nn/optim/adam.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "autograd/parallel.hpp"
#include "autograd/tape.hpp"
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
  Tensor& param = params_[i];
  State& s = state_[i];
  {
    // State, not values of the step: a captured step (capture.hpp) must not refill it on replay.
    xgrad::detail::TapePause outside_capture;
    detail::ensure_state(name_, i, s.exp_avg, param);
    detail::ensure_state(name_, i, s.exp_avg_sq, param);
    if (amsgrad_) detail::ensure_state(name_, i, s.max_exp_avg_sq, param);
  }
  if (!s.step) s.step = std::make_shared<long>(0);
  dispatch(param.dtype(), [&](auto tag) {
    using T = decltype(tag);
    // AdamW: p = p (1 - lr wd).   Adam: g = grad + wd p.
    // m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2;
    // amsgrad: v_max = max(v_max, v);
    // p = p - lr / (1 - beta1^t) m / (sqrt(v or v_max) / sqrt(1 - beta2^t) + eps).
    // `step` is t, counted up by each call, the replays of a captured step included (they share
    // the counter), so that every step takes its own bias corrections.
    auto run = [n = param.numel(), beta1 = betas_.first, beta2 = betas_.second, lr = lr_,
                eps = static_cast<T>(eps_), wd = static_cast<T>(weight_decay_),
                shrink = static_cast<T>(1 - lr_ * weight_decay_), decay = weight_decay_ != 0,
                decoupled = decoupled_weight_decay_](long& step, T* p, const T* dp, T* m, T* v,
                                                     T* v_max) {
      ++step;
      const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
      const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
      const T b1 = static_cast<T>(beta1);
      const T b2 = static_cast<T>(beta2);
      const T one_minus_b1 = static_cast<T>(1 - beta1);
      const T one_minus_b2 = static_cast<T>(1 - beta2);
      const T step_size = static_cast<T>(lr / bias_correction1);
      const T correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
      xgrad::detail::for_each_range(n, [&](std::size_t begin, std::size_t end) {
        for (std::size_t j = begin; j < end; ++j) {
          T g = dp[j];
          if (decay && decoupled) p[j] *= shrink;
          if (decay && !decoupled) g += wd * p[j];
          m[j] = b1 * m[j] + one_minus_b1 * g;
          v[j] = b2 * v[j] + one_minus_b2 * g * g;
          T second = v[j];
          if (v_max) second = v_max[j] = std::max(v_max[j], v[j]);
          p[j] -= step_size * m[j] / (std::sqrt(second) / correction2_sqrt + eps);
        }
      });
    };
    run(*s.step, param.data<T>().data(), grad.data<T>().data(), s.exp_avg.data<T>().data(),
        s.exp_avg_sq.data<T>().data(), amsgrad_ ? s.max_exp_avg_sq.data<T>().data() : nullptr);
    if (!xgrad::detail::active_tape) return;
    // Replayed as the next step, and the next: the counter moves on with each replay.
    auto kernel = [run, n = param.numel(), step = s.step, sp = param.impl()->storage.get(),
                   sg = grad.impl()->storage.get(), sm = s.exp_avg.impl()->storage.get(),
                   sv = s.exp_avg_sq.impl()->storage.get(),
                   smax = amsgrad_ ? s.max_exp_avg_sq.impl()->storage.get() : nullptr]() {
      using xgrad::detail::replay_values;
      run(*step, replay_values<T>(*sp, n), replay_values<T>(*sg, n), replay_values<T>(*sm, n),
          replay_values<T>(*sv, n), smax ? replay_values<T>(*smax, n) : nullptr);
    };
    if (amsgrad_) {
      xgrad::detail::record_kernel("step",
                                   {&param, &grad, &s.exp_avg, &s.exp_avg_sq, &s.max_exp_avg_sq},
                                   {&param, &s.exp_avg, &s.exp_avg_sq, &s.max_exp_avg_sq}, kernel);
    } else {
      xgrad::detail::record_kernel("step", {&param, &grad, &s.exp_avg, &s.exp_avg_sq},
                                   {&param, &s.exp_avg, &s.exp_avg_sq}, kernel);
    }
  });
}

AdamW::AdamW(std::vector<Tensor> params, double lr, std::pair<double, double> betas, double eps,
             double weight_decay, bool amsgrad)
    : Adam(std::move(params), lr, betas, eps, weight_decay, amsgrad, true, "AdamW") {}

}  // namespace xgrad::optim

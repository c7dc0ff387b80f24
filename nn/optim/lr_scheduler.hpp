// Learning-rate schedulers, as torch.optim.lr_scheduler: StepLR, ExponentialLR, CosineAnnealingLR
// (stepped once per epoch) and ReduceLROnPlateau (stepped with a validation metric). Each holds a
// reference to its optimizer, which must outlive it, and sets the rate with set_lr.
#pragma once

#include "nn/optim/optimizer.hpp"

namespace xgrad::optim {

/// The base of the epoch-driven schedulers. Construction takes the optimizer's current rate as the
/// base rate (epoch 0); each step() advances one epoch and sets the new rate. As in PyTorch, the
/// rate is computed from the optimizer's current one (the chainable form), so a change made
/// between steps by other code carries forward.
class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// Ends an epoch: last_epoch() + 1, then sets the optimizer's rate for the next one.
  void step();
  /// The rate set by the last step() (the base rate before any).
  double get_last_lr() const { return last_lr_; }
  long last_epoch() const { return last_epoch_; }
  double base_lr() const { return base_lr_; }

 protected:
  /// The rate for last_epoch_ (>= 1), given the optimizer's current rate `lr`.
  virtual double get_lr(double lr) const = 0;

  Optimizer& optimizer_;
  double base_lr_;
  long last_epoch_ = 0;
  double last_lr_;
};

/// lr = base_lr * gamma^(epoch / step_size): multiplied by gamma every step_size epochs. Throws
/// std::invalid_argument unless step_size >= 1 and gamma is finite and > 0.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, long step_size, double gamma = 0.1);

 protected:
  double get_lr(double lr) const override;

 private:
  long step_size_;
  double gamma_;
};

/// lr = base_lr * gamma^epoch. Throws std::invalid_argument unless gamma is finite and > 0.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  double get_lr(double lr) const override;

 private:
  double gamma_;
};

/// lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2: half a cosine from the base
/// rate down to eta_min over T_max epochs, then back up (PyTorch's schedule without restarts).
/// Throws std::invalid_argument unless T_max >= 1 and eta_min is finite and >= 0.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, long t_max, double eta_min = 0);

 protected:
  double get_lr(double lr) const override;

 private:
  long t_max_;
  double eta_min_;
};

/// Multiplies the rate by `factor` (not below min_lr) once the metric passed to step() has not
/// improved for more than `patience` epochs, then waits `cooldown` epochs before counting again.
/// Improvement is relative (PyTorch's threshold_mode 'rel'): in min mode a metric improves on the
/// best when it is below best (1 - threshold), in max mode above best (1 + threshold). A reduction
/// smaller than eps is skipped. A NaN metric counts as no improvement, as in PyTorch.
class ReduceLROnPlateau {
 public:
  enum class Mode { min, max };

  /// Throws std::invalid_argument unless 0 <= factor < 1, patience >= 0, cooldown >= 0 and
  /// threshold, min_lr and eps are finite and >= 0.
  explicit ReduceLROnPlateau(Optimizer& optimizer, Mode mode = Mode::min, double factor = 0.1,
                             long patience = 10, double threshold = 1e-4, long cooldown = 0,
                             double min_lr = 0, double eps = 1e-8);
  ReduceLROnPlateau(const ReduceLROnPlateau&) = delete;
  ReduceLROnPlateau& operator=(const ReduceLROnPlateau&) = delete;

  /// Ends an epoch whose validation metric was `metric`.
  void step(double metric);
  double get_last_lr() const { return optimizer_.lr(); }
  long last_epoch() const { return last_epoch_; }
  /// The best metric so far (+inf in min mode, -inf in max mode before any).
  double best() const { return best_; }
  long num_bad_epochs() const { return num_bad_epochs_; }
  bool in_cooldown() const { return cooldown_counter_ > 0; }

 private:
  bool is_better(double metric) const;

  Optimizer& optimizer_;
  Mode mode_;
  double factor_;
  long patience_;
  double threshold_;
  long cooldown_;
  double min_lr_;
  double eps_;
  double best_;
  long num_bad_epochs_ = 0;
  long cooldown_counter_ = 0;
  long last_epoch_ = 0;
};

}  // namespace xgrad::optim

// Anomaly mode: an opt-in check, on this thread, that names the first op whose forward output or
// backward gradient holds NaN or infinity (torch.autograd.detect_anomaly).
#pragma once

#include <cstddef>
#include <string>

#include "autograd/tensor.hpp"

namespace xgrad {

/// Per-thread switch; off by default, when it costs one flag read per op.
class AnomalyMode {
 public:
  /// True when on and not inside a node's backward (see detail::AnomalyBackwardScope).
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

/// Turns anomaly mode on for its scope. Inside it, an op whose output holds NaN or infinity while
/// its inputs do not, or a backward that returns such a gradient, throws std::runtime_error
/// "anomaly: forward of 'log' produced -inf at flat index 0 of its output, shape (3,)".
class detect_anomaly {
 public:
  detect_anomaly();
  ~detect_anomaly();
  detect_anomaly(const detect_anomaly&) = delete;
  detect_anomaly& operator=(const detect_anomaly&) = delete;

 private:
  bool previous_;
};

namespace detail {

/// While a node's backward runs, its inner ops are not checked one by one: the engine checks the
/// gradients the node returns, so the error names the op whose backward failed ("backward of
/// 'sqrt'"), not the division inside it.
class AnomalyBackwardScope {
 public:
  AnomalyBackwardScope();
  ~AnomalyBackwardScope();
  AnomalyBackwardScope(const AnomalyBackwardScope&) = delete;
  AnomalyBackwardScope& operator=(const AnomalyBackwardScope&) = delete;

 private:
  bool previous_;
};

/// The anomaly checks, called by record() and the engine when anomaly mode is on.
void check_forward_anomaly(const std::string& op, const Tensor& output, const InputRef* inputs,
                           std::size_t count);
void check_backward_anomaly(const std::string& op, const Tensor& gradient, std::size_t input);

}  // namespace detail

}  // namespace xgrad

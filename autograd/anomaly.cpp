// Anomaly mode: finding the op where NaN or infinity first appears.
#include "autograd/anomaly.hpp"

#include <cmath>
#include <stdexcept>

namespace xgrad {

namespace {

thread_local bool anomaly_enabled = false;
thread_local bool in_backward = false;

// The flat index of the first NaN or infinity in t, or t.numel() when there is none.
std::size_t first_non_finite(const Tensor& t) {
  return dispatch(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* v = t.data<T>().data();
    const std::size_t n = t.numel();
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(v[i])) return i;
    }
    return n;
  });
}

double value_at(const Tensor& t, std::size_t i) {
  return dispatch(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return static_cast<double>(t.data<T>().data()[i]);
  });
}

}  // namespace

bool AnomalyMode::is_enabled() {
  return anomaly_enabled && !in_backward;
}
void AnomalyMode::set_enabled(bool enabled) {
  anomaly_enabled = enabled;
}

detect_anomaly::detect_anomaly() : previous_(anomaly_enabled) {
  anomaly_enabled = true;
}
detect_anomaly::~detect_anomaly() {
  anomaly_enabled = previous_;
}

namespace detail {

AnomalyBackwardScope::AnomalyBackwardScope() : previous_(in_backward) {
  in_backward = true;
}
AnomalyBackwardScope::~AnomalyBackwardScope() {
  in_backward = previous_;
}

void check_forward_anomaly(const std::string& op, const Tensor& output, const InputRef* inputs,
                           std::size_t count) {
  if (!output.defined()) return;
  const std::size_t bad = first_non_finite(output);
  if (bad == output.numel()) return;
  for (std::size_t i = 0; i < count; ++i) {
    const Tensor& input = inputs[i];
    if (input.defined() && first_non_finite(input) < input.numel()) {
      // Not this op's doing: the value came in with input i (from outside the graph, or from an
      // op that ran before anomaly mode was on).
      throw std::runtime_error("anomaly: input " + std::to_string(i) + " of '" + op +
                               "' already holds NaN or infinity (shape " +
                               format_shape(input.shape()) + ")");
    }
  }
  throw std::runtime_error("anomaly: forward of '" + op + "' produced " +
                           format_number(value_at(output, bad)) + " at flat index " +
                           std::to_string(bad) + " of its output, shape " +
                           format_shape(output.shape()));
}

void check_backward_anomaly(const std::string& op, const Tensor& gradient, std::size_t input) {
  if (!gradient.defined()) return;
  const std::size_t bad = first_non_finite(gradient);
  if (bad == gradient.numel()) return;
  throw std::runtime_error("anomaly: backward of '" + op + "' produced " +
                           format_number(value_at(gradient, bad)) + " at flat index " +
                           std::to_string(bad) + " of the gradient of input " +
                           std::to_string(input) + ", shape " + format_shape(gradient.shape()));
}

}  // namespace detail

}  // namespace xgrad

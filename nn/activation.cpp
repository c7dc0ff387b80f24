// Activation layers.
#include "nn/activation.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "autograd/ops.hpp"

namespace xgrad::nn {

Tensor ReLU::forward(const Tensor& x) {
  return relu(x);
}

LeakyReLU::LeakyReLU(double negative_slope) : negative_slope_(negative_slope) {
  if (!std::isfinite(negative_slope)) {
    throw std::invalid_argument("LeakyReLU: negative_slope must be finite, got " +
                                std::to_string(negative_slope));
  }
}
Tensor LeakyReLU::forward(const Tensor& x) {
  return leaky_relu(x, negative_slope_);
}
std::string LeakyReLU::extra_repr() const {
  std::ostringstream out;
  out << "negative_slope=" << negative_slope_;
  return out.str();
}

Tensor Sigmoid::forward(const Tensor& x) {
  return sigmoid(x);
}
Tensor Tanh::forward(const Tensor& x) {
  return tanh(x);
}

Tensor Softmax::forward(const Tensor& x) {
  return softmax(x, axis_);
}
std::string Softmax::extra_repr() const {
  return "dim=" + std::to_string(axis_);  // PyTorch's name for the axis
}

Tensor LogSoftmax::forward(const Tensor& x) {
  return log_softmax(x, axis_);
}
std::string LogSoftmax::extra_repr() const {
  return "dim=" + std::to_string(axis_);
}

GELU::GELU(std::string approximate) : approximate_(std::move(approximate)) {
  if (approximate_ != "none" && approximate_ != "tanh") {
    throw std::invalid_argument("GELU: approximate must be \"none\" or \"tanh\", got \"" +
                                approximate_ + "\"");
  }
}
Tensor GELU::forward(const Tensor& x) {
  return gelu(x, approximate_);
}
std::string GELU::extra_repr() const {
  return "approximate='" + approximate_ + "'";
}

Tensor SiLU::forward(const Tensor& x) {
  return silu(x);
}

ELU::ELU(double alpha) : alpha_(alpha) {
  if (!std::isfinite(alpha)) {
    throw std::invalid_argument("ELU: alpha must be finite, got " + format_number(alpha));
  }
}
Tensor ELU::forward(const Tensor& x) {
  return elu(x, alpha_);
}
std::string ELU::extra_repr() const {
  return "alpha=" + format_number(alpha_);
}

Hardtanh::Hardtanh(double min_val, double max_val) : min_val_(min_val), max_val_(max_val) {
  if (!(min_val <= max_val)) {
    throw std::invalid_argument("Hardtanh: min_val must not exceed max_val (nor be NaN), got " +
                                format_number(min_val) + " and " + format_number(max_val));
  }
}
Tensor Hardtanh::forward(const Tensor& x) {
  return hardtanh(x, min_val_, max_val_);
}
std::string Hardtanh::extra_repr() const {
  return "min_val=" + format_number(min_val_) + ", max_val=" + format_number(max_val_);
}

}  // namespace xgrad::nn

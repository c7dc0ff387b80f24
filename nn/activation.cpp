// Activation layers.
#include "nn/activation.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

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
  return "axis=" + std::to_string(axis_);
}

Tensor LogSoftmax::forward(const Tensor& x) {
  return log_softmax(x, axis_);
}
std::string LogSoftmax::extra_repr() const {
  return "axis=" + std::to_string(axis_);
}

}  // namespace xgrad::nn

// Parameter initialisation, in place and from a seedable generator (torch.nn.init's schemes).
#pragma once

#include <string>

#include "autograd/random.hpp"
#include "autograd/tensor.hpp"

namespace xgrad::nn {

/// How a layer's weights (and biases) start.
enum class Init {
  kaiming_uniform,  // He: U(-b, b), b = sqrt(6 / fan_in); suits ReLU. Bias 0.
  kaiming_normal,   // He: N(0, 2 / fan_in). Bias 0.
  xavier_uniform,   // Glorot: U(-b, b), b = sqrt(6 / (fan_in + fan_out)); suits tanh. Bias 0.
  xavier_normal,    // Glorot: N(0, 2 / (fan_in + fan_out)). Bias 0.
  pytorch_default,  // torch.nn.Linear's: weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  standard_normal,  // N(0, 1) weights, bias 0: the "ML from Scratch" network's.
  uniform_unit,     // U(0, 1) weights and bias: the notebooks' linear and logistic regression.
  zeros,            // everything 0.
};

/// The name of a scheme, as written above ("kaiming_uniform"), and back; parse_init throws
/// std::invalid_argument listing the names for an unknown one.
const char* init_name(Init init);
Init parse_init(const std::string& name);

namespace init {

/// Fills in place; draws in row-major order. Throws std::invalid_argument for low >= high or a
/// negative std.
void uniform_(Tensor& tensor, double low, double high, Generator& generator);
void normal_(Tensor& tensor, double mean, double std, Generator& generator);
void constant_(Tensor& tensor, double value);

/// Initialises a weight of shape (fan_out, fan_in) and its bias (may be undefined) by `scheme`.
void initialize(Tensor& weight, Tensor& bias, Init scheme, Generator& generator);

}  // namespace init

}  // namespace xgrad::nn

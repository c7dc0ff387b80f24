// Activations: sigmoid, tanh, the ReLU family, softplus, and softmax / log_softmax over an axis.
#pragma once

#include "autograd/tensor.hpp"

namespace xgrad {

/// 1 / (1 + exp(-x)), computed without overflow for any |x|.
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
/// max(x, 0); the gradient at 0 is 0.
Tensor relu(const Tensor& x);
/// x for x > 0, negative_slope * x otherwise.
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
/// log(1 + exp(beta x)) / beta, stable for large |x|. Throws std::invalid_argument unless beta > 0.
Tensor softplus(const Tensor& x, double beta = 1.0);
/// exp(x) / sum(exp(x)) along `axis` (negative counts from the end), stable for logits of any size
/// (the maximum is subtracted first). Throws std::out_of_range for a bad axis and
/// std::invalid_argument for an empty axis.
Tensor softmax(const Tensor& x, long axis = -1);
/// x - logsumexp(x) along `axis`: the log of softmax without its underflow.
Tensor log_softmax(const Tensor& x, long axis = -1);

}  // namespace xgrad

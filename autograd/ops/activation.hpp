// Activations: sigmoid, tanh, the ReLU family, softplus, softmax / log_softmax over an axis, and
// erf with the smooth activations built on it (gelu, silu, elu) and hardtanh.
#pragma once

#include <string>

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

/// The error function, elementwise; its derivative is 2 / sqrt(pi) exp(-x^2).
Tensor erf(const Tensor& x);
/// Gaussian error linear unit. approximate = "none": x Phi(x) = x (1 + erf(x / sqrt(2))) / 2, the
/// exact form; "tanh": x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2. Throws
/// std::invalid_argument for any other `approximate`.
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
/// x sigmoid(x) (also called swish).
Tensor silu(const Tensor& x);
/// x for x > 0, alpha (exp(x) - 1) otherwise. Throws std::invalid_argument for a non-finite alpha.
Tensor elu(const Tensor& x, double alpha = 1.0);
/// x limited to [min_val, max_val], as clamp but with PyTorch's hardtanh gradient: 1 strictly
/// inside, 0 at and beyond the bounds. NaN stays NaN. Throws std::invalid_argument if min_val >
/// max_val or either is NaN.
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);

}  // namespace xgrad

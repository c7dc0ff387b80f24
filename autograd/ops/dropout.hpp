// dropout as an op: a random mask drawn from a Generator, the kept entries scaled by 1 / (1 - p).
#pragma once

#include "autograd/random.hpp"
#include "autograd/tensor.hpp"

namespace xgrad {

/// In training, zeroes each entry with probability p and scales the rest by 1 / (1 - p), as
/// torch.nn.functional.dropout; the mask is a constant, so the gradient is masked the same way.
/// Entry i is kept when the i-th uniform draw of `generator` (row-major) is >= p, the rule
/// nn::Dropout uses. Returns x itself when not training or p is 0, and zeros (still in the graph)
/// when p is 1. Throws std::invalid_argument "dropout: p must be in [0, 1], got 1.5".
Tensor dropout(const Tensor& x, double p, bool training, Generator& generator);
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true);

}  // namespace xgrad

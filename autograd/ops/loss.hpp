// Fused losses: each computes its value and its gradient in one stable formula.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// How a loss combines its per-element terms.
enum class Reduction { mean, sum, none };

/// (input - target)^2. input and target must have the same shape (no broadcasting: a (8, 1)
/// prediction against an (8,) target is a bug, not a broadcast).
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
/// -(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1]; each log is clamped at -100, as
/// in PyTorch, so p = 0 or 1 gives a finite loss. Throws for p outside [0, 1].
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            Reduction reduction = Reduction::mean);
/// Binary cross-entropy on logits z: max(z, 0) - z t + log(1 + exp(-|z|)), exact for any |z|.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        Reduction reduction = Reduction::mean);
/// Cross-entropy of logits (N, C) against class indices (N): logsumexp(z_i) - z_i[t_i]. With
/// label_smoothing e the target distribution is q = (1 - e) onehot(t) + e / C (PyTorch's
/// definition), and a row's loss is logsumexp(z_i) - sum_c q_c z_ic. Throws std::out_of_range
/// "cross_entropy: target 7 out of range for 5 classes (row 12)", std::invalid_argument unless
/// 0 <= e <= 1.
Tensor cross_entropy(const Tensor& logits, const std::vector<std::int64_t>& target,
                     Reduction reduction = Reduction::mean, double label_smoothing = 0.0);
/// The same with the class indices held in a tensor of shape (N,) (whole numbers).
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     Reduction reduction = Reduction::mean, double label_smoothing = 0.0);

}  // namespace xgrad

// Fused losses: each computes its value and its gradient in one stable formula.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// How a loss combines its per-element terms.
enum class Reduction { mean, sum, none };

/// "mean", "sum" or "none", as PyTorch spells the reduction argument.
const char* reduction_name(Reduction reduction);

/// Applies a reduction to per-element loss terms: the terms, their sum, or their mean. A mean of
/// no terms throws std::invalid_argument naming `op`. For writing new losses.
Tensor apply_reduction(const char* op, const Tensor& terms, Reduction reduction);
/// Checks that a loss's input and target are defined, of one dtype and of one shape; throws
/// std::invalid_argument naming `op` and both shapes or dtypes otherwise.
void check_loss_pair(const char* op, const Tensor& input, const Tensor& target);

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
/// The same with the class indices held in a tensor of shape (N,): int64, or floats that are
/// whole numbers (std::invalid_argument naming the value and row otherwise).
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     Reduction reduction = Reduction::mean, double label_smoothing = 0.0);
/// With PyTorch's class weights (C,) (undefined: all 1) and ignore_index: rows whose target is
/// ignore_index add nothing, and the mean divides by the total weight of the other rows' targets.
/// Computed as nll_loss(log_softmax(logits)) when weights or ignored rows are present.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& weight,
                     std::int64_t ignore_index = -100, Reduction reduction = Reduction::mean,
                     double label_smoothing = 0.0);
/// Negative log-likelihood of log-probabilities (N, C) at class indices (N,):
/// -weight[t_i] log_probs[i, t_i], with torch.nn.functional.nll_loss's weight, ignore_index and
/// reduction. Throws std::out_of_range for a target out of range (naming it and its row).
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight = Tensor(),
                std::int64_t ignore_index = -100, Reduction reduction = Reduction::mean);

namespace detail {
/// Class indices from a target tensor of shape (N,): int64 as they are, floats when they are whole
/// numbers (the old form). Throws std::invalid_argument naming `op`, the value and its row.
std::vector<std::int64_t> class_indices(const char* op, const Tensor& target);
}  // namespace detail

/// The loss a linear model with one output is trained on.
enum class LinearLoss { mse, binary_cross_entropy_with_logits };

/// mse_loss or binary_cross_entropy_with_logits of the linear model z = x @ weight + bias against
/// target, its mean or sum, in one pass over x: x (N, in), weight (in, 1) as addmm takes it or
/// (1, in) as linear takes it, bias of one element or undefined, target (N, 1). Each block of rows
/// of x gives its logits, its loss terms and, when a gradient will be needed (grad mode on and the
/// weight or bias requiring it), x^T times the loss's derivative while it is still in cache, so
/// backward does not read x again; unfused, linear or logistic regression on many rows spends most
/// of its time in those two passes over x. The same values as the unfused ops up to the order of
/// the sums. Throws std::invalid_argument for other shapes, mismatched dtypes, Reduction::none, or
/// a mean over no rows.
Tensor linear_loss(LinearLoss loss, const Tensor& x, const Tensor& weight, const Tensor& bias,
                   const Tensor& target, Reduction reduction = Reduction::mean);

}  // namespace xgrad

// Ops of recurrent layers: the input projection of a whole sequence as one gemm whose steps are
// separate graph nodes, and the LSTM cell's update fused into two elementwise ops.
#pragma once

#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// y_t = x_t @ weight^T + bias_a + bias_b for each step's input x_t (N, in), weight (out, in),
/// biases (out,) or undefined: the forward is one gemm over all the steps' rows, and each y_t
/// (N, out) is its own graph node, so a step's gradient reaches only its own x_t and the shared
/// parameters (no zero-filled gradient of the whole sequence per step). Throws
/// std::invalid_argument "linear_steps: ..." for no steps, or steps of differing shapes, dtypes or
/// feature sizes.
std::vector<Tensor> linear_steps(const std::vector<Tensor>& xs, const Tensor& weight,
                                 const Tensor& bias_a, const Tensor& bias_b);

/// The LSTM cell state c' = sigmoid(f) * c + sigmoid(i) * tanh(g) from the pre-activation gates
/// (N, 4 hidden), columns [i | f | g | o] as PyTorch's, and c (N, hidden): one pass, no copies of
/// the gate columns. Throws std::invalid_argument "lstm_cell_state: ..." for other shapes.
Tensor lstm_cell_state(const Tensor& gates, const Tensor& c);
/// The LSTM hidden state h' = sigmoid(o) * tanh(c') from the same gates and the new cell state c'
/// (N, hidden). Throws std::invalid_argument "lstm_cell_hidden: ..." for other shapes.
Tensor lstm_cell_hidden(const Tensor& gates, const Tensor& c_new);

}  // namespace xgrad

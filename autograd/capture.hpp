// CapturedGraph: a training step recorded once as the kernels it ran, then run again on new values
// without building a graph, the idea of CUDA graphs (torch.cuda.CUDAGraph) on the CPU.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace xgrad {

namespace detail {
struct Tape;
}

/// A step (forward, backward, optimizer update) recorded as the sequence of kernels it ran, each
/// bound to the values it read and wrote. replay() runs that sequence again: no graph, no nodes,
/// no allocation, no dispatch, so a step of many small ops costs what its loops cost.
///
///     Tensor x = zeros({32, 2}), y = zeros({32}, int64);  // the step's inputs, made before
///     Tensor loss;
///     auto step = CapturedGraph::capture([&] {
///       sgd.zero_grad();
///       loss = cross_entropy(model(x), y);
///       loss.backward();
///       sgd.step();
///     });                       // runs the step once, as usual, and records it
///     for (...) {
///       { no_grad guard; x.copy_(batch_x); y.copy_(batch_y); }
///       step.replay();          // the same step on the new batch; loss holds its new value
///     }
///
/// The rules, as for CUDA graphs:
/// - Tensors made before the capture (parameters, inputs) are read at their values when replay()
///   runs: give an input new values in place (copy_), not with set_data, which replay() detects
///   and refuses. Parameters that the step updates in place are updated by every replay.
/// - Tensors made during the capture (activations, the loss, gradients the backward created) are
///   the step's outputs: every replay() writes their new values into them.
/// - Shapes, dtypes and the path through the code are those of the capture. A value the step read
///   on the host (item(), a value-dependent branch) is not read again.
/// - What replays: the ops computed by xgrad's elementwise kernels (arithmetic with broadcasting,
///   the scalar ops, relu, sigmoid, tanh and the other one-kernel activations, with their
///   backwards), sum and mean, reshape and clone, matmul of matrices, addmm and linear,
///   cross_entropy against an int64 target tensor (mean or sum), zeros/ones/full, gradient
///   accumulation, zero_grad, optim::SGD's step (momentum, weight decay, and inside backward
///   with fuse_into_backward), and optim::Adam's and AdamW's (amsgrad too; a replay is the next
///   step, with its own bias corrections). Everything else is refused, never recorded half:
///   capture() throws std::invalid_argument if the step made a tensor, or changed one in place,
///   with an op that did not record its kernel (random ops, softmax, convolutions, other
///   optimizers...), read a value on the host (item(), to_vector()), or baked such a value into a
///   kernel (the one-pass backwards of mse_loss and binary_cross_entropy_with_logits).
/// - An optimizer's state made during the capture (SGD's momentum buffers, Adam's moments and
///   step count) is state, not a value of the step: replays carry it on. Hyperparameters are those
///   at the capture.
/// - A replay is not thread-safe with other uses of the same tensors (as a step is not).
class CapturedGraph {
 public:
  /// Runs `step` once as usual, recording its kernels. Throws std::invalid_argument "capture: ..."
  /// if the step used an op that cannot be replayed, or if a capture is already running on this
  /// thread or anomaly mode is on; `step`'s own exceptions pass through. On a throw nothing is
  /// recorded, but what the step did is done.
  static CapturedGraph capture(const std::function<void()>& step);

  /// Runs the recorded kernels again, in order. Throws std::runtime_error "replay: ..." if a tensor
  /// the step read was given new values by set_data or changed shape since the capture.
  void replay();

  /// The number of kernels recorded.
  std::size_t kernels() const;

 private:
  explicit CapturedGraph(std::shared_ptr<detail::Tape> tape) : tape_(std::move(tape)) {}
  std::shared_ptr<detail::Tape> tape_;
};

}  // namespace xgrad

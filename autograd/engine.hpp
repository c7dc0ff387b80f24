// The reverse-mode engine: backward() over several outputs and grad(), the functional form that
// returns gradients instead of accumulating them (torch.autograd.backward / torch.autograd.grad).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "autograd/node.hpp"
#include "autograd/tensor.hpp"

namespace xgrad {

/// An update of one parameter that backward() takes itself, instead of storing the parameter's
/// gradient in .grad(), as PyTorch's optimizer step fused into the backward pass. Installed with
/// Tensor::set_backward_step; optim::Optimizer::fuse_into_backward installs its own. apply() runs
/// when the backward pass ends (a node that reads the parameter's values without an edge to it,
/// through a detached alias say, may still be ahead when its gradient is complete); a scaled-sum
/// step may instead be written by the matrix product that is the parameter's whole gradient,
/// during the pass, where nothing else reads the parameter afterwards. Steps run in backward()
/// only: under create_graph the gradient goes to .grad() as usual (a later step() applies it),
/// and autograd::grad touches no parameter.
class BackwardStep {
 public:
  virtual ~BackwardStep() = default;
  /// Updates `param` in place, with grad mode off, from its gradient in this backward pass (plus
  /// a gradient left in param.grad() by an earlier pass, which is then cleared).
  virtual void apply(Tensor& param, const Tensor& grad) = 0;
  /// True when the update is param = beta param + alpha grad (plain SGD, with or without weight
  /// decay), with alpha and beta set. A matrix product that is the parameter's whole gradient then
  /// writes the update itself, as one gemm with these alpha and beta, and the gradient is never
  /// stored at all. The default is false: apply() takes every step.
  virtual bool scaled_sum(double& alpha, double& beta) const {
    (void)alpha;
    (void)beta;
    return false;
  }
};

/// Told by a plain backward() (no create_graph, not autograd::grad) as soon as a leaf's gradient
/// in that pass is complete, during the pass, before any BackwardStep runs (PyTorch's
/// post-accumulate-grad hook): a data-parallel wrapper starts reducing the gradient there while
/// the rest of the pass goes on. Installed with Tensor::set_post_accumulate_grad_hook.
class PostAccumulateGradHook {
 public:
  virtual ~PostAccumulateGradHook() = default;
  /// `grad` is the leaf's whole gradient (including what an earlier pass left in .grad()): the
  /// tensor that .grad() will hold, or that the leaf's BackwardStep will be given. Its values are
  /// this leaf's alone, so the hook, or a callback it queues, may overwrite them in place.
  virtual void on_gradient(const Tensor& param, const Tensor& grad) = 0;
};

/// Runs backward passes; its static functions are the engine's whole interface.
class Engine {
 public:
  /// Queues `callback` to run once the backward pass running on this thread has walked its graph,
  /// before any BackwardStep is taken (PyTorch's queue_callback): the end-of-pass point of a
  /// PostAccumulateGradHook. An exception from it leaves backward(). Throws std::runtime_error
  /// outside a backward pass.
  static void queue_callback(std::function<void()> callback);

  /// Nodes reachable from `roots`, each before all of its inputs (outputs first).
  static std::vector<std::shared_ptr<Node>> topological_order(
      const std::vector<std::shared_ptr<Node>>& roots);

  /// Backpropagates grad_outputs[i] from outputs[i]. With `captures` empty, accumulates into the
  /// leaves' .grad(); otherwise returns the gradient reaching each captured tensor and touches no
  /// .grad(); a captured tensor the outputs do not depend on throws std::invalid_argument before
  /// anything runs, unless allow_unused (then its entry is undefined). keep_graph leaves saved
  /// values in place for another backward.
  static std::vector<Tensor> run(const std::vector<Tensor>& outputs,
                                 const std::vector<Tensor>& grad_outputs, bool keep_graph,
                                 bool create_graph, const std::vector<Tensor>& captures,
                                 bool allow_unused = false);

 private:
  // topological_order's walk, giving each node as take(the shared_ptr that reached it).
  template <class Take>
  static auto sorted(const std::vector<std::shared_ptr<Node>>& roots, Take take);
};

namespace autograd {

/// Accumulates the gradients of `tensors` (weighted by `grad_tensors`, which may be empty or hold
/// undefined entries for scalars) into every leaf that requires grad.
void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors = {},
              bool retain_graph = false, bool create_graph = false);

/// The gradients of `outputs` with respect to `inputs`, returned rather than accumulated. With
/// create_graph the results carry a graph of their own (for Hessian-vector products and gradient
/// penalties). An input that no output depends on throws std::invalid_argument unless allow_unused,
/// which returns an undefined Tensor for it.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool create_graph = false, bool allow_unused = false);

}  // namespace autograd

}  // namespace xgrad

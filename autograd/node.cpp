// Graph nodes: construction, iterative teardown, gradient accumulation at leaves, and attaching an
// op's output to its node.
#include "autograd/node.hpp"

#include <stdexcept>

#include "autograd/engine.hpp"
#include "autograd/ops.hpp"
#include "autograd/warning.hpp"

namespace xgrad {

Node::Node(std::string name, Edges next_edges, ShapeRef output_shape, Dtype output_dtype)
    : name_(std::move(name)),
      next_edges_(std::move(next_edges)),
      output_shape_(output_shape.begin(), output_shape.end()),
      output_dtype_(output_dtype) {}

Node::~Node() {
  // Recursive idea: each node's destructor destroys its edges, whose destructors destroy theirs...
  // which overflows the stack on a deep chain. Instead, move the edges of every node we own alone
  // onto a local stack before it dies, so each destructor finds no edges of its own to follow.
  Edges stack = std::move(next_edges_);
  while (!stack.empty()) {
    std::shared_ptr<Node> node = std::move(stack.back());
    stack.pop_back();
    if (node && node.use_count() == 1) {
      for (auto& edge : node->next_edges_) stack.push_back(std::move(edge));
      node->next_edges_.clear();
    }
  }
}

void Node::release() {
  release_saved();
  next_edges_.clear();
  saved_versions_.clear();
  released_ = true;
}

void Node::save_versions(const InputRef* inputs, std::size_t count) {
  saved_at_changes_ = detail::in_place_changes.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < count; ++i) {
    const Tensor& input = inputs[i];
    if (!input.defined()) continue;
    const auto& impl = input.impl();
    saved_versions_.push_back(
        {impl, impl->storage.get(), impl->storage->version, static_cast<std::uint32_t>(i)});
  }
}

void Node::check_saved_versions() const {
  // Nothing anywhere changed in place since the versions were saved (a thread that changed a
  // tensor and then handed it to this one made that change visible here too).
  if (detail::in_place_changes.load(std::memory_order_relaxed) == saved_at_changes_) return;
  saved_versions_.for_each([&](const SavedVersion& saved) {
    const std::shared_ptr<detail::TensorImpl> tensor = saved.tensor.lock();
    if (!tensor) return;  // gone, so no backward captured it
    const detail::Storage& now = *tensor->storage;
    if (tensor->storage.get() != saved.storage) {
      throw std::runtime_error("a tensor needed by the backward of '" + name_ + "' (input " +
                               std::to_string(saved.input) + ") was replaced by 'set_data' after " +
                               "it was saved; run the forward pass again");
    }
    if (now.version != saved.version) {
      throw std::runtime_error(
          "a tensor needed by the backward of '" + name_ + "' (input " +
          std::to_string(saved.input) + ") was modified in place by '" +
          (now.modified_by ? now.modified_by : "an in-place op") + "' (version " +
          std::to_string(now.version) + ", saved at version " + std::to_string(saved.version) +
          "); run the forward pass again after the change, or change a clone()");
    }
  });
}

AccumulateGrad::AccumulateGrad(const Tensor& leaf)
    : Node("AccumulateGrad", {}, leaf.sizes(), leaf.dtype()), variable_(leaf.impl()) {}

Tensor AccumulateGrad::variable() const {
  return Tensor(variable_.lock());
}

Gradients AccumulateGrad::apply(const Tensor& grad_output) {
  auto leaf = variable_.lock();
  if (!leaf) return {};  // the leaf is gone; nobody can read its gradient
  // The engine checked the gradient against the leaf as it was when the graph was recorded; its
  // values may have been replaced since (set_data, data<T>() = ...). A gradient of another shape
  // would be read past its end by every optimizer.
  const Tensor current(leaf);
  if (!grad_output.has_shape(current.sizes()) || grad_output.dtype() != current.dtype()) {
    throw std::runtime_error("backward: a gradient of " +
                             std::string(dtype_name(grad_output.dtype())) + " " +
                             format_shape(grad_output.sizes()) + " reaches a leaf that is now " +
                             dtype_name(current.dtype()) + " " + format_shape(current.sizes()) +
                             " (its values were replaced after the graph was recorded); run the "
                             "forward pass again after set_data");
  }
  if (leaf->backward_step && !GradMode::is_enabled()) {
    // The gradient is complete (every op that feeds this node has run): the step is taken when
    // the backward pass ends, and the gradient is not stored.
    Tensor grad = leaf->grad ? add(Tensor(leaf->grad), grad_output) : grad_output;
    const std::shared_ptr<BackwardStep> step = leaf->backward_step;
    if (leaf->post_accumulate_grad_hook) {
      // The hook may write the values in place: they must be this leaf's alone (an add's
      // backward hands the same gradient to both of its inputs).
      const long handles = grad.is_same(grad_output) ? 2 : 1;  // ours, and the engine's
      if (grad.impl().use_count() > handles || grad.impl()->storage.use_count() != 1) {
        grad = grad.detach().clone();
      }
    }
    if (detail::defer_step(step, Tensor(leaf), grad)) {
      leaf->grad.reset();
      if (leaf->post_accumulate_grad_hook)
        leaf->post_accumulate_grad_hook->on_gradient(Tensor(leaf), grad);
      return {};
    }
  }
  if (GradMode::is_enabled()) {
    // create_graph: keep the gradient's own graph so it can be differentiated again.
    leaf->grad = leaf->grad ? add(Tensor(leaf->grad), grad_output).impl() : grad_output.impl();
    if (leaf->grad->grad_fn) {
      detail::warn_once(
          "create_graph_into_grad",
          "backward with create_graph=true stored a gradient that carries a graph in a leaf's "
          ".grad(); that graph refers back to the leaf, a reference cycle that keeps both alive "
          "(a memory leak in a loop). Clear it after use with set_grad(Tensor()) or zero_grad(), "
          "or use autograd::grad(..., create_graph=true), which returns the gradients instead of "
          "storing them");
    }
    return {};
  }
  if (!leaf->grad) {
    // Take the incoming buffer if nothing else can see it, else a copy we may later add into.
    const bool sole =
        grad_output.impl().use_count() == 1 && grad_output.impl()->storage.use_count() == 1;
    leaf->grad = sole ? grad_output.impl() : grad_output.detach().clone().impl();
    leaf->grad->grad_fn.reset();
    leaf->grad->requires_grad = false;
  } else if (!leaf->grad->grad_fn && leaf->grad->storage.use_count() == 1) {
    Tensor grad(leaf->grad);
    add_(grad, grad_output);
  } else {
    leaf->grad = add(Tensor(leaf->grad), grad_output).detach().impl();
  }
  if (leaf->post_accumulate_grad_hook && !GradMode::is_enabled()) {
    leaf->post_accumulate_grad_hook->on_gradient(Tensor(leaf), Tensor(leaf->grad));
  }
  return {};
}

namespace detail {

std::shared_ptr<Node> edge_to(const Tensor& input) {
  if (!input.defined() || !input.requires_grad()) return nullptr;
  if (input.grad_fn()) return input.grad_fn();
  std::shared_ptr<Node> accumulator = input.impl()->grad_accumulator.lock();
  // A leaf whose values were replaced (set_data) while an older graph holds its node gets a node
  // of its own shape: the engine checks gradients against the node's.
  if (!accumulator || !input.has_shape(accumulator->output_shape()) ||
      input.dtype() != accumulator->output_dtype()) {
    accumulator = std::allocate_shared<AccumulateGrad>(PoolAllocator<AccumulateGrad>(), input);
    input.impl()->grad_accumulator = accumulator;
  }
  return accumulator;
}

void check_recorded_inputs(const std::string& name, const InputRef* inputs, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (!inputs[i].get().defined()) {
      throw std::invalid_argument("record: input " + std::to_string(i) + " of '" + name +
                                  "' is undefined");
    }
  }
}

bool should_record(const InputRef* inputs, std::size_t count) {
  if (!GradMode::is_enabled()) return false;
  for (std::size_t i = 0; i < count; ++i) {
    const Tensor& input = inputs[i];
    if (input.defined() && input.requires_grad()) return true;
  }
  return false;
}

Tensor attach(Tensor output, std::shared_ptr<Node> node) {
  const std::shared_ptr<TensorImpl>& impl = output.impl();
  // Two handles when the op passed its result by copy: `output` and the op's own local.
  if (impl->grad_fn || impl->requires_grad || impl.use_count() > 2) {
    // Someone else holds this handle (a user op returning a graph tensor, say): leave it alone
    // and attach a fresh handle to the same values.
    std::shared_ptr<TensorImpl> fresh = new_impl();
    fresh->storage = impl->storage;
    fresh->grad_fn = std::move(node);
    fresh->requires_grad = true;
    return Tensor(std::move(fresh));
  }
  impl->grad_fn = std::move(node);
  impl->requires_grad = true;
  return output;
}

void throw_output_modified(const std::string& op, const Storage& output,
                           std::uint32_t saved_version) {
  throw std::runtime_error(
      "the output of '" + op + "', needed by its backward, was modified in " + "place by '" +
      (output.modified_by ? output.modified_by : "an in-place op") + "' (version " +
      std::to_string(output.version) + ", saved at version " + std::to_string(saved_version) +
      "); run the forward pass again after the change, or change a clone()");
}

}  // namespace detail

}  // namespace xgrad

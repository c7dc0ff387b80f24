// Graph nodes: what one recorded op keeps for its backward, and record(), the one way built-in and
// user-defined ops attach themselves to the graph.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/anomaly.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/pool.hpp"
#include "autograd/tensor.hpp"

namespace xgrad {

/// One gradient per input of an op, in input order; an undefined Tensor means "no gradient"
/// (the input does not require grad, or the gradient is zero).
using Gradients = std::vector<Tensor>;

class Node;
class BackwardStep;
/// A node's edges to the nodes of its inputs (held in the per-thread block pool).
using Edges = std::vector<std::shared_ptr<Node>, detail::PoolAllocator<std::shared_ptr<Node>>>;

/// What an op's backward reads of its inputs, for record(): by default every input's values
/// (the backward may read any tensor it captured), or nothing (add, sub, sum, reshape...: the
/// gradient does not depend on the values), which spares the version bookkeeping below.
enum class Saves { inputs, nothing };

/// An input whose values a node's backward may read, as they were when the op was recorded: the
/// tensor (weakly: if it is gone, no backward captured it), its values and their version. PyTorch's
/// SavedVariable keeps the same check.
struct SavedVersion {
  std::weak_ptr<detail::TensorImpl> tensor;
  const detail::Storage* storage = nullptr;
  std::uint32_t version = 0;
  std::uint32_t input = 0;
};
/// A node's SavedVersions: the first two inside the node (most ops have one or two inputs), so
/// recording one allocates nothing for them.
class SavedVersions {
 public:
  void push_back(SavedVersion saved) {
    if (inline_count_ < kInline) {
      inline_[inline_count_++] = std::move(saved);
    } else {
      more_.push_back(std::move(saved));
    }
  }
  void clear() {
    for (std::size_t i = 0; i < inline_count_; ++i) inline_[i] = SavedVersion();
    inline_count_ = 0;
    more_.clear();
  }
  template <class F>
  void for_each(F f) const {
    for (std::size_t i = 0; i < inline_count_; ++i) f(inline_[i]);
    for (const SavedVersion& saved : more_) f(saved);
  }

 private:
  static constexpr std::size_t kInline = 2;
  SavedVersion inline_[kInline]{};
  std::size_t inline_count_ = 0;
  std::vector<SavedVersion, detail::PoolAllocator<SavedVersion>> more_;
};

namespace detail {
/// For a backward formula that is about to compute the gradient of `param` as one matrix product:
/// the step that should write that product straight into the parameter, or null. Non-null only in
/// a plain backward pass (grad mode off, no anomaly mode, not autograd::grad), for a leaf whose
/// BackwardStep is a scaled sum (alpha, beta set) when the op being differentiated is the only one
/// that sends the leaf a gradient, no gradient is stored in it yet, and no other tensor shares its
/// values. The caller then updates param = beta param + alpha (product), after every other use of
/// param's values in this formula, and returns no gradient for it.
BackwardStep* product_step(const Tensor& param, double& alpha, double& beta);
}  // namespace detail

/// A recorded op. It holds the op's name, edges to the nodes of its inputs, the shape and dtype of
/// its output, and (in a subclass) the backward function with the values it captured.
class Node {
 public:
  Node(std::string name, Edges next_edges, ShapeRef output_shape, Dtype output_dtype);
  /// Frees the chain of nodes this one solely owns in a loop, not by recursion, so a graph of a
  /// million ops dies without overflowing the stack.
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& name() const { return name_; }
  /// The nodes of this op's inputs, in input order; null where an input does not require grad.
  const Edges& next_edges() const { return next_edges_; }
  ShapeRef output_shape() const { return output_shape_; }
  Dtype output_dtype() const { return output_dtype_; }

  /// Gradients of the inputs given the gradient of the output.
  virtual Gradients apply(const Tensor& grad_output) = 0;
  /// Drops saved values and edges after a backward without retain_graph.
  virtual void release();
  /// True for the AccumulateGrad node at a leaf.
  virtual bool is_accumulator() const { return false; }
  bool released() const { return released_; }

  /// Remembers the current values of the defined ones of `inputs` as read by this node's
  /// backward.
  void save_versions(const InputRef* inputs, std::size_t count);
  /// Throws std::runtime_error "a tensor needed by the backward of 'mul' was modified in place by
  /// 'add_' (version 1, saved at version 0)" if a saved input's values changed since recording.
  void check_saved_versions() const;

 protected:
  virtual void release_saved() {}

 private:
  friend class Engine;
  friend BackwardStep* detail::product_step(const Tensor& param, double& alpha, double& beta);

  std::string name_;
  Edges next_edges_;
  SavedVersions saved_versions_;
  std::uint64_t saved_at_changes_ = 0;  // detail::in_place_changes when the versions were saved
  InlineShape output_shape_;
  Dtype output_dtype_;
  bool released_ = false;

  // Scratch space of the backward pass that is walking this node.
  std::uint64_t visit_mark_ = 0;
  std::size_t topo_index_ = 0;
  std::size_t dependencies_ = 0;  // edges into this node from the nodes of the walk
  Tensor grad_buffer_;
};

/// The node at a leaf that requires grad: sums what reaches it into the leaf's .grad(). It holds
/// the leaf weakly, so a graph never keeps its parameters alive.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(const Tensor& leaf);
  Gradients apply(const Tensor& grad_output) override;
  void release() override {}  // nothing saved; other graphs may still reach this leaf
  bool is_accumulator() const override { return true; }
  Tensor variable() const;

 private:
  std::weak_ptr<detail::TensorImpl> variable_;
};

namespace detail {

/// The edge to an input: its grad_fn, its AccumulateGrad node (created on first use), or null.
std::shared_ptr<Node> edge_to(const Tensor& input);
/// True when grad mode is on and some input requires grad: the op must be recorded.
bool should_record(const InputRef* inputs, std::size_t count);
/// Queues `step` of `param`, whose gradient `grad` is complete, to be taken when the backward pass
/// running on this thread ends; false outside a backward pass.
bool defer_step(const std::shared_ptr<BackwardStep>& step, Tensor param, Tensor grad);
/// Makes `output` the result of `node`: sets its grad_fn and requires_grad (on a fresh handle
/// sharing the values when output already belongs to a graph, or a handle beyond the op's own
/// local copy refers to it).
Tensor attach(Tensor output, std::shared_ptr<Node> node);
/// The error of a backward whose own output's values were changed in place since it was recorded.
[[noreturn]] void throw_output_modified(const std::string& op, const Storage& output,
                                        std::uint32_t saved_version);

/// True when a backward callable F reads its op's output: Gradients(const Tensor& grad_output,
/// const Tensor& output).
template <class F>
inline constexpr bool kBackwardUsesOutput =
    std::is_invocable_r_v<Gradients, F&, const Tensor&, const Tensor&>;

/// What a FunctionNode that reads no output derives from instead of enable_shared_from_this: the
/// weak self-reference would cost two more reference counts per node (locked, once the process
/// has a second thread) and keep the last release off libstdc++'s fast path.
struct NoSelfHandle {};

/// A node whose backward is a callable F: either Gradients(const Tensor& grad_output), or
/// Gradients(const Tensor& grad_output, const Tensor& output) when it reads its own output (and
/// then needs a handle to itself to attach that output to, under create_graph).
template <class F>
class FunctionNode final
    : public Node,
      public std::conditional_t<kBackwardUsesOutput<F>,
                                std::enable_shared_from_this<FunctionNode<F>>, NoSelfHandle> {
 public:
  static constexpr bool kUsesOutput = kBackwardUsesOutput<F>;

  template <class G>
  FunctionNode(std::string name, Edges edges, const Tensor& output, G&& backward)
      : Node(std::move(name), std::move(edges), output.sizes(), output.dtype()),
        backward_(std::forward<G>(backward)) {
    // Keep the output's values, never the output tensor itself: the tensor owns this node, so
    // holding it here would be a cycle. saved_output() re-attaches the values to this node.
    if constexpr (kUsesOutput) {
      saved_output_ = output.impl()->storage;
      saved_output_version_ = saved_output_->version;
    }
  }

  Gradients apply(const Tensor& grad_output) override {
    if constexpr (kUsesOutput) {
      if (saved_output_ && saved_output_->version != saved_output_version_) {
        throw_output_modified(name(), *saved_output_, saved_output_version_);
      }
      return backward_(grad_output, saved_output());
    } else {
      return backward_(grad_output);
    }
  }

 protected:
  void release_saved() override {
    [[maybe_unused]] F released(std::move(backward_));
    saved_output_.reset();
  }

 private:
  // The output as a tensor made by this node, so a backward recorded under create_graph knows
  // that it depends on this op's inputs.
  Tensor saved_output() {
    auto impl = new_impl();
    impl->storage = saved_output_;
    if (GradMode::is_enabled()) {
      impl->grad_fn = this->shared_from_this();
      impl->requires_grad = true;
    }
    return Tensor(std::move(impl));
  }

  F backward_;
  std::shared_ptr<Storage> saved_output_;
  std::uint32_t saved_output_version_ = 0;
};

// F is taken by reference down to the node, so the closure is moved once, into the node, and only
// when the op is recorded. `output` is taken by value down to attach(): an op that hands its
// result over (std::move) spares two reference counts.
template <class F>
Tensor record_inputs(std::string name, Tensor output, const InputRef* inputs, std::size_t count,
                     F&& backward, Saves saves = Saves::inputs) {
  if (AnomalyMode::is_enabled()) check_forward_anomaly(name, output, inputs, count);
  if (!should_record(inputs, count)) return output;
  Edges edges;
  edges.reserve(count);
  for (std::size_t i = 0; i < count; ++i) edges.push_back(edge_to(inputs[i]));
  using Backward = std::remove_cv_t<std::remove_reference_t<F>>;
  auto node = std::allocate_shared<FunctionNode<Backward>>(PoolAllocator<FunctionNode<Backward>>(),
                                                           std::move(name), std::move(edges),
                                                           output, std::forward<F>(backward));
  if (saves == Saves::inputs) node->save_versions(inputs, count);
  return attach(std::move(output), std::move(node));
}

/// Throws std::invalid_argument "record: input <i> of '<name>' is undefined" for the first
/// undefined input.
void check_recorded_inputs(const std::string& name, const InputRef* inputs, std::size_t count);

/// record() for a built-in op with optional inputs (an absent bias): an undefined input is
/// allowed there and gets no gradient.
template <class F>
Tensor record_optional(std::string name, Tensor output, std::initializer_list<InputRef> inputs,
                       F backward, Saves saves = Saves::inputs) {
  return record_inputs(std::move(name), std::move(output), inputs.begin(), inputs.size(),
                       std::move(backward), saves);
}
}  // namespace detail

/// Records an op: `output` holds the values the op computed from `inputs`; `backward` maps the
/// gradient of the output to one gradient per input (undefined where none is needed), written with
/// xgrad's tensor ops so that create_graph can differentiate it again. A backward that takes a
/// second argument receives the op's output. Returns the output attached to the graph, or the
/// output unchanged when nothing is recorded (grad mode off, or no input requires grad). Unless
/// `saves` is Saves::nothing, backward refuses to run once an input's values were changed in place
/// (add_, an optimizer step, set_data...) after recording. Throws std::invalid_argument for an
/// undefined input. The inputs are borrowed for the call; the output may be handed over with
/// std::move, which spares copying its handle (the built-in ops do).
///
/// This is how every built-in op is defined, and how users define their own:
///
///   Tensor cube(const Tensor& x) {
///     Tensor y = [&] { no_grad guard; return x * x * x; }();
///     return record("cube", y, {x}, [x](const Tensor& dy) { return Gradients{dy * 3 * x * x}; });
///   }
template <class F>
Tensor record(std::string name, Tensor output, std::initializer_list<InputRef> inputs, F backward,
              Saves saves = Saves::inputs) {
  detail::check_recorded_inputs(name, inputs.begin(), inputs.size());
  return detail::record_inputs(std::move(name), std::move(output), inputs.begin(), inputs.size(),
                               std::move(backward), saves);
}

template <class F>
Tensor record(std::string name, Tensor output, const std::vector<Tensor>& inputs, F backward,
              Saves saves = Saves::inputs) {
  const std::vector<InputRef> refs(inputs.begin(), inputs.end());
  detail::check_recorded_inputs(name, refs.data(), refs.size());
  return detail::record_inputs(std::move(name), std::move(output), refs.data(), refs.size(),
                               std::move(backward), saves);
}

}  // namespace xgrad

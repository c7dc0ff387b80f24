// The reverse-mode engine: a topological walk on an explicit stack, gradient accumulation per node,
// and release of saved values as the walk goes.
#include "autograd/engine.hpp"

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>

#include "autograd/anomaly.hpp"
#include "autograd/factory.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace xgrad {

namespace {

std::atomic<std::uint64_t> next_visit_mark{1};

// The backward pass running on this thread: its nodes in order, the node being differentiated,
// whether products may write parameters' steps (product_step), and the BackwardSteps whose
// parameters' gradients are complete, taken when the walk ends. Null outside a walk.
struct Walk {
  struct Pending {
    std::shared_ptr<BackwardStep> step;
    Tensor param, grad;
  };
  const std::vector<Node*>* order;
  const Node* current;
  bool products;
  std::vector<Pending> pending;
  std::vector<std::function<void()>> callbacks;  // Engine::queue_callback's, run first at the end
};
thread_local Walk* current_walk = nullptr;

class WalkContext {
 public:
  WalkContext(Walk* walk) : previous_(current_walk) { current_walk = walk; }
  ~WalkContext() { current_walk = previous_; }
  WalkContext(const WalkContext&) = delete;
  WalkContext& operator=(const WalkContext&) = delete;

 private:
  Walk* previous_;
};

// Restores grad mode and empties the per-node buffers however the walk ends.
class WalkScope {
 public:
  WalkScope(bool create_graph, const std::vector<Node*>& order, void (*clear)(Node&))
      : previous_(GradMode::is_enabled()), order_(order), clear_(clear) {
    GradMode::set_enabled(create_graph);
  }
  ~WalkScope() {
    for (const auto& node : order_) clear_(*node);
    GradMode::set_enabled(previous_);
  }

 private:
  bool previous_;
  const std::vector<Node*>& order_;
  void (*clear_)(Node&);
};

// buffer += g. In place when nothing else can see the buffer's values and no graph is being
// recorded; otherwise a (possibly recorded) add.
void accumulate(Tensor& buffer, Tensor g, bool create_graph) {
  if (!buffer.defined()) {
    buffer = std::move(g);
    return;
  }
  const auto& impl = buffer.impl();
  if (!create_graph && impl.use_count() == 1 && impl->storage.use_count() == 1 && !impl->grad_fn) {
    detail::add_into(buffer, g);  // no one else sees these values: no version to bump
  } else {
    buffer = add(buffer, g);
  }
}

std::string describe_gradient(const Tensor& g) {
  return std::string(dtype_name(g.dtype())) + " " + format_shape(g.shape());
}

}  // namespace

void Engine::queue_callback(std::function<void()> callback) {
  if (!current_walk) {
    throw std::runtime_error("queue_callback: no backward pass is running on this thread");
  }
  current_walk->callbacks.push_back(std::move(callback));
}

// The nodes reachable from `roots`, each before all of its inputs, as `take(handle)` of the
// shared_ptr that reached them (a root, or an edge of a node earlier in the order). Also sets
// each node's topo_index_ and dependencies_ (the edges into it from the nodes of the order).
template <class Take>
auto Engine::sorted(const std::vector<std::shared_ptr<Node>>& roots, Take take) {
  // Recursive idea:
  //   void visit(Node* n) { if (seen(n)) return; mark(n);
  //                         for (Node* in : n->next_edges()) visit(in); post.push_back(n); }
  // Here the call stack is an explicit vector of (node, next input) frames, so depth is unbounded.
  const std::uint64_t mark = next_visit_mark.fetch_add(1);
  struct Frame {
    const std::shared_ptr<Node>* handle;  // a root or an edge: neither changes during the sort
    std::size_t next_input;
  };
  std::vector<Frame> stack;
  std::vector<decltype(take(roots.front()))> post_order;
  for (const auto& root : roots) {
    if (!root || root->visit_mark_ == mark) continue;
    root->visit_mark_ = mark;
    root->dependencies_ = 0;
    stack.push_back({&root, 0});
    while (!stack.empty()) {
      Frame& frame = stack.back();
      const auto& edges = (*frame.handle)->next_edges_;
      if (frame.next_input < edges.size()) {
        const std::shared_ptr<Node>& edge = edges[frame.next_input++];
        Node* input = edge.get();
        if (input && input->visit_mark_ != mark) {
          input->visit_mark_ = mark;
          input->dependencies_ = 1;
          stack.push_back({&edge, 0});
        } else if (input) {
          ++input->dependencies_;
        }
      } else {
        post_order.push_back(take(*frame.handle));
        stack.pop_back();
      }
    }
  }
  std::reverse(post_order.begin(), post_order.end());
  for (std::size_t i = 0; i < post_order.size(); ++i) post_order[i]->topo_index_ = i;
  return post_order;
}

std::vector<std::shared_ptr<Node>> Engine::topological_order(
    const std::vector<std::shared_ptr<Node>>& roots) {
  return sorted(roots, [](const std::shared_ptr<Node>& node) { return node; });
}

std::vector<Tensor> Engine::run(const std::vector<Tensor>& outputs,
                                const std::vector<Tensor>& grad_outputs, bool keep_graph,
                                bool create_graph, const std::vector<Tensor>& captures,
                                bool allow_unused) {
  if (!grad_outputs.empty() && grad_outputs.size() != outputs.size()) {
    throw std::invalid_argument("backward: got " + std::to_string(grad_outputs.size()) +
                                " gradients for " + std::to_string(outputs.size()) + " tensors");
  }
  // Each output's node and the gradient that starts there.
  std::vector<std::shared_ptr<Node>> roots;
  std::vector<Tensor> seeds;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    if (!out.defined()) throw std::invalid_argument("backward: tensor is undefined");
    if (!out.requires_grad()) {
      throw std::runtime_error("backward: tensor of shape " + format_shape(out.shape()) +
                               " does not require grad and has no grad_fn");
    }
    Tensor seed = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (!seed.defined()) {
      if (out.numel() != 1) {
        throw std::runtime_error("backward: tensor of shape " + format_shape(out.shape()) +
                                 " is not a scalar; pass a gradient of that shape");
      }
      seed = ones(out.shape(), out.dtype());
    } else if (seed.shape() != out.shape() || seed.dtype() != out.dtype()) {
      throw std::invalid_argument("backward: gradient is " + describe_gradient(seed) +
                                  ", tensor is " + describe_gradient(out));
    }
    roots.push_back(detail::edge_to(out));
    seeds.push_back(seed);
  }

  // The walk's nodes, not owned: the roots own them through their edges. A node released during
  // the walk hands its edges to `released_edges`, which keeps the nodes they reach (later in the
  // order) alive until the walk ends; declared first, it outlives the scope that clears `order`.
  // (Owning handles here would cost two locked counts per node once a second thread exists.)
  std::vector<std::shared_ptr<Node>> released_edges;
  const std::vector<Node*> order =
      sorted(roots, [](const std::shared_ptr<Node>& n) { return n.get(); });
  WalkScope scope(create_graph, order, [](Node& n) { n.grad_buffer_ = Tensor(); });
  if (!keep_graph) {
    std::size_t edges = 0;  // the edges between the walk's nodes, counted by the sort
    for (const Node* node : order) edges += node->dependencies_;
    released_edges.reserve(edges);
  }
  const auto release = [&released_edges](Node& node) {
    for (std::shared_ptr<Node>& edge : node.next_edges_) {
      if (edge) released_edges.push_back(std::move(edge));
    }
    node.release();
  };

  // With captures, only nodes on a path to a captured tensor run, and no leaf's .grad changes.
  const bool capturing = !captures.empty();
  std::vector<Node*> capture_nodes;
  std::vector<Tensor> captured(captures.size());
  std::vector<char> needed(order.size(), !capturing);
  if (capturing) {
    for (const Tensor& c : captures) {
      const std::shared_ptr<Node> node = c.requires_grad() ? detail::edge_to(c) : nullptr;
      const bool reached =
          node && node->topo_index_ < order.size() && order[node->topo_index_] == node.get();
      if (!reached && !allow_unused) {
        throw std::invalid_argument("grad: input " + std::to_string(capture_nodes.size()) +
                                    " of shape " + format_shape(c.shape()) +
                                    " is not used by the outputs; pass allow_unused=true");
      }
      capture_nodes.push_back(reached ? node.get() : nullptr);
      if (reached) needed[node->topo_index_] = 1;
    }
    // Inputs come after their consumers in `order`, so walk it backwards.
    for (std::size_t i = order.size(); i-- > 0;) {
      for (const auto& edge : order[i]->next_edges_) {
        if (edge && needed[edge->topo_index_]) needed[i] = 1;
      }
    }
  }

  for (std::size_t i = 0; i < roots.size(); ++i) {
    accumulate(roots[i]->grad_buffer_, seeds[i], create_graph);
  }

  // Parameters may be updated by the products that compute their gradients (product_step) only
  // in a plain pass: not when recording it, capturing gradients, or checking them for anomalies.
  // A root's seed is one more gradient arriving at it.
  for (const auto& root : roots) ++root->dependencies_;
  Walk walk{&order, nullptr, !create_graph && !capturing && !AnomalyMode::is_enabled(), {}, {}};
  WalkContext walk_context(&walk);

  for (std::size_t index = 0; index < order.size(); ++index) {
    Node& node = *order[index];
    walk.current = &node;
    Tensor grad_output = std::move(node.grad_buffer_);
    node.grad_buffer_ = Tensor();
    if (capturing) {
      for (std::size_t c = 0; c < captures.size(); ++c) {
        if (capture_nodes[c] == &node) captured[c] = grad_output;
      }
    }
    const bool is_leaf = node.is_accumulator();
    if (!grad_output.defined() || !needed[index] || (capturing && is_leaf)) {
      if (!keep_graph) release(node);
      continue;
    }
    if (node.released()) {
      throw std::runtime_error(
          "backward: trying to backward through the graph a second time (the saved values of '" +
          node.name() + "' were freed); pass retain_graph=true to the first backward");
    }
    node.check_saved_versions();
    Gradients grads;
    if (AnomalyMode::is_enabled()) {
      {
        detail::AnomalyBackwardScope scope;
        grads = node.apply(grad_output);
      }
      for (std::size_t e = 0; e < grads.size(); ++e) {
        detail::check_backward_anomaly(node.name(), grads[e], e);
      }
    } else {
      grads = node.apply(grad_output);
    }
    const auto& edges = node.next_edges_;
    if (!is_leaf && grads.size() != edges.size()) {
      throw std::logic_error("backward of '" + node.name() + "' returned " +
                             std::to_string(grads.size()) + " gradients for " +
                             std::to_string(edges.size()) + " inputs");
    }
    for (std::size_t e = 0; e < grads.size(); ++e) {
      Node* input = edges[e].get();
      Tensor& g = grads[e];
      if (!input || !g.defined()) continue;
      if (!g.has_shape(input->output_shape_) || g.dtype() != input->output_dtype_) {
        throw std::logic_error("backward of '" + node.name() + "' returned a gradient of " +
                               describe_gradient(g) + " for input " + std::to_string(e) +
                               ", which is " + dtype_name(input->output_dtype_) + " " +
                               format_shape(input->output_shape_));
      }
      accumulate(input->grad_buffer_, std::move(g), create_graph);
    }
    if (!keep_graph) release(node);
  }
  // Steps wait for the end of the walk: a node that has no edge to a parameter but reads its
  // values (through a detached alias, say) may come after the parameter's AccumulateGrad.
  walk.current = nullptr;
  // By index: a callback may queue another.
  for (std::size_t i = 0; i < walk.callbacks.size(); ++i) {
    std::function<void()> callback = std::move(walk.callbacks[i]);
    callback();
  }
  for (Walk::Pending& p : walk.pending) {
    p.step->apply(p.param, p.grad);
    detail::bump_version(*p.param.impl()->storage, "step");
  }
  // A captured tensor that the walk reached but no gradient flowed into has a zero gradient.
  for (std::size_t c = 0; c < captures.size(); ++c) {
    if (capture_nodes[c] && !captured[c].defined()) {
      captured[c] = zeros(captures[c].shape(), captures[c].dtype());
    }
  }
  return captured;
}

namespace detail {

BackwardStep* product_step(const Tensor& param, double& alpha, double& beta) {
  const Walk* walk = current_walk;
  if (!walk || !walk->products || !walk->current || GradMode::is_enabled() || !param.defined()) {
    return nullptr;
  }
  const auto& impl = param.impl();
  // A hooked leaf's gradient must exist for its hook to see.
  if (!impl->backward_step || impl->post_accumulate_grad_hook || impl->grad_fn || impl->grad ||
      impl->storage.use_count() != 1 + tape_references(*impl->storage)) {
    return nullptr;
  }
  const std::shared_ptr<Node> accumulator = impl->grad_accumulator.lock();
  if (!accumulator || accumulator->dependencies_ != 1) return nullptr;
  // The leaf's values replaced since the graph was recorded: AccumulateGrad reports it.
  if (!param.has_shape(accumulator->output_shape_) || param.dtype() != accumulator->output_dtype_) {
    return nullptr;
  }
  // in this walk, and fed by the node being differentiated
  const std::size_t i = accumulator->topo_index_;
  if (i >= walk->order->size() || (*walk->order)[i] != accumulator.get()) return nullptr;
  const auto& edges = walk->current->next_edges();
  if (std::none_of(edges.begin(), edges.end(),
                   [&](const std::shared_ptr<Node>& e) { return e == accumulator; })) {
    return nullptr;
  }
  if (!impl->backward_step->scaled_sum(alpha, beta)) return nullptr;
  // The caller writes the step into param; in a capture, it records that product first, then
  // marks the change itself.
  if (!active_tape) detail::bump_version(*impl->storage, "step");
  return impl->backward_step.get();
}

bool defer_step(const std::shared_ptr<BackwardStep>& step, Tensor param, Tensor grad) {
  Walk* walk = current_walk;
  if (!walk) return false;
  walk->pending.push_back({step, std::move(param), std::move(grad)});
  return true;
}

}  // namespace detail

namespace autograd {

void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors,
              bool retain_graph, bool create_graph) {
  Engine::run(tensors, grad_tensors, retain_graph || create_graph, create_graph, {});
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph,
                         bool create_graph, bool allow_unused) {
  if (inputs.empty()) throw std::invalid_argument("grad: no inputs given");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) {
      throw std::invalid_argument("grad: input " + std::to_string(i) + " does not require grad");
    }
  }
  return Engine::run(outputs, grad_outputs, retain_graph || create_graph, create_graph, inputs,
                     allow_unused);
}

}  // namespace autograd

}  // namespace xgrad

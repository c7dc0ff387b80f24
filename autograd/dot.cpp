// DOT export of a graph, walked in topological order (no recursion).
#include "autograd/dot.hpp"

#include <sstream>
#include <unordered_map>

#include "autograd/engine.hpp"
#include "autograd/node.hpp"

namespace xgrad {

std::string to_dot(const Tensor& output) {
  std::ostringstream dot;
  dot << "digraph xgrad {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n";
  const Shape out_shape = output.defined() ? output.shape() : Shape{};
  const std::string out_label =
      "output " + format_shape(out_shape) +
      (output.defined() ? std::string(" ") + dtype_name(output.dtype()) : std::string());
  dot << "  out [label=\"" << out_label
      << "\", shape=note, style=filled, fillcolor=\"#fde9c9\"];\n";
  const std::shared_ptr<Node> root =
      output.defined() && output.requires_grad() ? detail::edge_to(output) : nullptr;
  if (root) {
    const auto order = Engine::topological_order({root});
    std::unordered_map<const Node*, std::size_t> id;
    for (std::size_t i = 0; i < order.size(); ++i) id[order[i].get()] = i;
    for (std::size_t i = 0; i < order.size(); ++i) {
      const Node& node = *order[i];
      const std::string shape = format_shape(node.output_shape());
      if (dynamic_cast<const AccumulateGrad*>(&node)) {
        dot << "  n" << i << " [label=\"leaf " << shape << "\\nrequires_grad\", shape=ellipse, "
            << "style=filled, fillcolor=\"#cfe3f7\"];\n";
      } else {
        dot << "  n" << i << " [label=\"" << node.name() << "\\n"
            << shape << " " << dtype_name(node.output_dtype())
            << "\", shape=box, style=rounded];\n";
      }
      for (const auto& input : node.next_edges()) {
        if (input) dot << "  n" << id.at(input.get()) << " -> n" << i << ";\n";
      }
    }
    dot << "  n0 -> out;\n";
  }
  dot << "}\n";
  return dot.str();
}

}  // namespace xgrad

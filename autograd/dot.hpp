// The computation graph as Graphviz DOT, for pictures of what autograd recorded.
#pragma once

#include <string>

#include "autograd/tensor.hpp"

namespace xgrad {

/// The graph that produced `output` in DOT: one box per op (name, output shape and dtype), one
/// ellipse per leaf that requires grad, edges in the direction data flows. Render it with
/// `dot -Tpng graph.dot -o graph.png`. A tensor with no graph gives a single node.
std::string to_dot(const Tensor& output);

}  // namespace xgrad

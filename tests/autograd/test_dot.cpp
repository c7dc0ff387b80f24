// Tests of the Graphviz export of a computation graph.
#include <catch2/catch.hpp>

#include "gradient_checks.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;

TEST_CASE("to_dot draws ops, leaves and edges of a graph", "[autograd][dot]") {
  Tensor x = ones({4, 3}, float32, true);
  Tensor w = ones({3, 2}, float32, true);
  Tensor loss = mean(relu(matmul(x, w)));
  const std::string dot = to_dot(loss);
  CHECK_THAT(dot, Contains("digraph xgrad {"));
  CHECK_THAT(dot, Contains("matmul\\n(4, 2) float32"));
  CHECK_THAT(dot, Contains("relu\\n(4, 2) float32"));
  CHECK_THAT(dot, Contains("leaf (3, 2)\\nrequires_grad"));
  CHECK_THAT(dot, Contains("leaf (4, 3)\\nrequires_grad"));
  CHECK_THAT(dot, Contains("mean\\n() float32"));
  CHECK_THAT(dot, Contains("output () float32"));
  const auto arrows = std::count(dot.begin(), dot.end(), '>');
  CHECK(arrows == 5);  // two leaves -> matmul -> relu -> mean -> output
}

TEST_CASE("to_dot of a tensor without a graph is a single node", "[autograd][dot]") {
  const std::string dot = to_dot(ones({2}));
  CHECK_THAT(dot, Contains("output (2,) float32"));
  CHECK(std::count(dot.begin(), dot.end(), '>') == 0);
}

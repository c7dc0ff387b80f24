// Forward values, gradients and Hessian-vector products of gather, scatter_add, index_add and
// embedding against PyTorch: tests/data/torch_reference_gather.txt, written by
// scripts/make_torch_reference_gather.py, holds torch's float64 results for fixed inputs.
#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/autograd.hpp"
#include "torch_reference.hpp"

namespace xgrad {
namespace {

using namespace torch_reference;

const char* const reference_file = "torch_reference_gather.txt";

Tensor index_of(const ReferenceCase& c) {
  std::vector<std::int64_t> values;
  for (long v : integers_param(c, "index")) values.push_back(v);
  Shape shape;
  for (long d : integers_param(c, "index_shape")) shape.push_back(static_cast<std::size_t>(d));
  return from_vector(values, shape, int64);
}

Tensor ids(const std::vector<std::int64_t>& values, const Shape& shape) {
  return from_vector(values, shape, int64);
}

/// The function whose gradient a second-order case differentiates, of x (3, 4).
Tensor second_order_function(const std::string& op, const Tensor& x) {
  if (op == "hvp_gather") {
    return sum(pow(gather(x * x, 0, ids({2, 0, 1, 1, 1, 1, 0, 2}, {2, 4})), 3.0));
  }
  if (op == "hvp_scatter_add") {
    const Tensor idx = ids({0, 0, 3, 2, 1, 1, 3, 3, 0}, {3, 3});
    return sum(pow(sin(scatter_add(x, 1, idx, pow(slice(x, 1, 0, 3), 2.0))), 2.0));
  }
  if (op == "hvp_index_add") {
    return sum(pow(index_add(x, 0, ids({2, 0, 2}, {3}), pow(x, 2.0), 0.5), 3.0));
  }
  if (op == "hvp_embedding") {
    return sum(pow(embedding(pow(x, 2.0), ids({2, 0, 2, 1}, {2, 2}), 1), 2.0));
  }
  throw std::runtime_error("unknown second-order op '" + op + "'");
}

Tensor evaluate(const ReferenceCase& c, const std::vector<Tensor>& x) {
  if (is_second_order(c)) return first_gradient(second_order_function(c.op, x.at(0)), x.at(0));
  const long dim = integer_param(c, "dim");
  if (c.op == "gather") return gather(x.at(0), dim, index_of(c));
  if (c.op == "scatter_add") return scatter_add(x.at(0), dim, index_of(c), x.at(1));
  if (c.op == "index_add") {
    return index_add(x.at(0), dim, index_of(c), x.at(1), number_param(c, "alpha"));
  }
  if (c.op == "embedding") {
    const long padding = integer_param(c, "padding_idx");
    return embedding(x.at(0), index_of(c),
                     padding == -100 ? std::nullopt : std::optional<long>(padding));
  }
  throw std::runtime_error("case '" + c.name + "': unknown op '" + c.op + "'");
}

}  // namespace

TEST_CASE("gather, scatter_add, index_add and embedding match PyTorch in value and gradient",
          "[autograd][gather][torch]") {
  REQUIRE(reference_cases(reference_file).size() == 16);
  check_against_torch(reference_file, {"gather", "scatter_add", "index_add", "embedding"},
                      evaluate);
}

TEST_CASE("Hessian-vector products through gather and scatter ops match PyTorch",
          "[autograd][gather][torch]") {
  check_against_torch(reference_file,
                      {"hvp_gather", "hvp_scatter_add", "hvp_index_add", "hvp_embedding"},
                      evaluate);
}

}  // namespace xgrad

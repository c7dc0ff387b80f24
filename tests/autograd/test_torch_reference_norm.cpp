// batch_norm, layer_norm, group_norm, erf, gelu, silu, elu and hardtanh against PyTorch:
// tests/data/torch_reference_norm.txt, written by scripts/make_torch_reference_norm.py, holds
// torch's float64 outputs, gradients and Hessian-vector products for fixed inputs.
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/autograd.hpp"
#include "torch_reference.hpp"

namespace xgrad {
namespace {

using namespace torch_reference;

constexpr const char* kFile = "torch_reference_norm.txt";
// At least this many cases: a truncated or stale file fails instead of passing on what is left.
constexpr std::size_t minimum_case_count = 45;

Shape shape_param(const ReferenceCase& c, const std::string& key) {
  Shape shape;
  for (long extent : integers_param(c, key)) shape.push_back(static_cast<std::size_t>(extent));
  return shape;
}

// The tensor at `i`, or undefined when the case has fewer inputs (affine off).
Tensor optional_input(const std::vector<Tensor>& x, std::size_t i) {
  return i < x.size() ? x[i] : Tensor();
}

// The op of a case (a second-order case's op without its "hvp_" prefix) applied to its inputs.
Tensor apply(const std::string& op, const ReferenceCase& c, const std::vector<Tensor>& x) {
  if (op == "batch_norm") {
    return batch_norm(x.at(0), optional_input(x, 3), optional_input(x, 4), optional_input(x, 1),
                      optional_input(x, 2), integer_param(c, "training") != 0, 0.1,
                      number_param(c, "eps"));
  }
  if (op == "layer_norm") {
    return layer_norm(x.at(0), shape_param(c, "normalized_shape"), optional_input(x, 1),
                      optional_input(x, 2), number_param(c, "eps"));
  }
  if (op == "group_norm") {
    return group_norm(x.at(0), static_cast<std::size_t>(integer_param(c, "num_groups")),
                      optional_input(x, 1), optional_input(x, 2), number_param(c, "eps"));
  }
  if (op == "erf") return erf(x.at(0));
  if (op == "gelu") return gelu(x.at(0), param(c, "approximate").at(0));
  if (op == "silu") return silu(x.at(0));
  if (op == "elu") return elu(x.at(0), number_param(c, "alpha"));
  if (op == "hardtanh") {
    return hardtanh(x.at(0), number_param(c, "min_val"), number_param(c, "max_val"));
  }
  throw std::runtime_error("case '" + c.name + "': unknown op '" + op + "'");
}

Tensor evaluate(const ReferenceCase& c, const std::vector<Tensor>& x) {
  if (!is_second_order(c)) return apply(c.op, c, x);
  // g = d sum(f(x) * C) / dx with C the script's weights: wave(out shape, 2.2, 1.0)
  const Tensor out = apply(c.op.substr(4), c, x);
  const std::size_t n = out.numel();
  auto weights = xt::xarray<double>::from_shape(out.shape());
  for (std::size_t i = 0; i < n; ++i) weights.data()[i] = std::sin(1.3 * double(i) + 2.2);
  return first_gradient(sum(mul(out, Tensor(weights))), x.at(0));
}

const std::vector<std::string> normalization_ops = {"batch_norm", "layer_norm", "group_norm"};
const std::vector<std::string> activation_ops = {"erf", "gelu", "silu", "elu", "hardtanh"};
const std::vector<std::string> second_order_ops = {
    "hvp_batch_norm", "hvp_layer_norm", "hvp_group_norm", "hvp_gelu",
    "hvp_silu",       "hvp_elu",        "hvp_erf"};

}  // namespace

TEST_CASE("the normalization reference file is complete and every case belongs to a tested family",
          "[autograd][torch][normalization]") {
  const std::vector<ReferenceCase>& cases = reference_cases(kFile);
  REQUIRE(cases.size() >= minimum_case_count);
  for (const ReferenceCase& c : cases) {
    INFO("case " << c.name << " has op " << c.op << ", which no TEST_CASE here checks");
    CHECK((contains(normalization_ops, c.op) || contains(activation_ops, c.op) ||
           contains(second_order_ops, c.op)));
  }
}

TEST_CASE("batch_norm, layer_norm and group_norm match PyTorch, affine on and off",
          "[autograd][torch][normalization]") {
  check_against_torch(kFile, normalization_ops, evaluate);
}

TEST_CASE("erf, gelu, silu, elu and hardtanh match PyTorch", "[autograd][torch][activation]") {
  check_against_torch(kFile, activation_ops, evaluate);
}

TEST_CASE("second derivatives of the normalizations and activations match PyTorch",
          "[autograd][torch][normalization]") {
  check_against_torch(kFile, second_order_ops, evaluate);
}

}  // namespace xgrad

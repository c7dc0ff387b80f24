// Forward values, gradients and Hessian-vector products of the ops of issue 11 (batched matmul,
// statistics, view and join ops, sign/sin/cos) against PyTorch: tests/data/torch_reference_ops.txt,
// written by scripts/make_torch_reference_ops.py, holds torch's float64 results for fixed inputs.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/autograd.hpp"
#include "torch_reference.hpp"

namespace xgrad {
namespace {

using namespace torch_reference;

const char* const reference_file = "torch_reference_ops.txt";

bool flag(const ReferenceCase& c, const std::string& key) {
  return integer_param(c, key) != 0;
}

// One piece of a list-valued op (split, chunk), chosen by the case's "piece".
Tensor piece(const ReferenceCase& c, const std::vector<Tensor>& pieces) {
  return pieces.at(static_cast<std::size_t>(integer_param(c, "piece")));
}

/// The case's first-order op applied to its inputs, as the script applied the torch op.
Tensor evaluate(const ReferenceCase& c, const std::vector<Tensor>& x) {
  const std::string& op = c.op;
  if (op == "matmul") return matmul(x.at(0), x.at(1));
  if (op == "matmul_flags") {
    return matmul(x.at(0), x.at(1), flag(c, "transpose_a"), flag(c, "transpose_b"));
  }
  if (op == "bmm") return bmm(x.at(0), x.at(1));
  if (op == "logsumexp") return logsumexp(x.at(0), integers_param(c, "axes"), flag(c, "keepdim"));
  if (op == "var") {
    return var(x.at(0), integers_param(c, "axes"), flag(c, "unbiased"), flag(c, "keepdim"));
  }
  if (op == "std") {
    return xgrad::std(x.at(0), integers_param(c, "axes"), flag(c, "unbiased"), flag(c, "keepdim"));
  }
  if (op == "norm") {
    return norm(x.at(0), number_param(c, "p"), integers_param(c, "axes"), flag(c, "keepdim"));
  }
  if (op == "min") return min(x.at(0), integers_param(c, "axes"), flag(c, "keepdim"));
  if (op == "cumsum") return cumsum(x.at(0), integer_param(c, "axis"));
  if (op == "sign") return sign(x.at(0));
  if (op == "sin") return sin(x.at(0));
  if (op == "cos") return cos(x.at(0));
  if (op == "squeeze") {
    const std::vector<long> axis = integers_param(c, "axis");
    return axis.empty() ? squeeze(x.at(0)) : squeeze(x.at(0), axis.at(0));
  }
  if (op == "unsqueeze") return unsqueeze(x.at(0), integer_param(c, "axis"));
  if (op == "permute") return permute(x.at(0), integers_param(c, "dims"));
  if (op == "expand") return expand(x.at(0), integers_param(c, "shape"));
  if (op == "flatten") {
    const std::vector<long> range = integers_param(c, "range");
    return flatten(x.at(0), range.at(0), range.at(1));
  }
  if (op == "stack") return stack(x, integer_param(c, "axis"));
  if (op == "split_size") {
    return piece(c, split(x.at(0), integer_param(c, "size"), integer_param(c, "axis")));
  }
  if (op == "split_sizes") {
    return piece(c, split(x.at(0), integers_param(c, "sizes"), integer_param(c, "axis")));
  }
  if (op == "chunk") {
    return piece(c, chunk(x.at(0), integer_param(c, "chunks"), integer_param(c, "axis")));
  }
  if (op == "pad") return pad(x.at(0), integers_param(c, "pads"), number_param(c, "value"));
  if (op == "repeat") return repeat(x.at(0), integers_param(c, "repeats"));
  if (op == "tril") return tril(x.at(0), integer_param(c, "diagonal"));
  if (op == "triu") return triu(x.at(0), integer_param(c, "diagonal"));
  throw std::runtime_error("case '" + c.name + "': unknown op '" + op + "'");
}

/// The function whose gradient a second-order case differentiates, of x (2, 2, 3) and W (3, 4).
Tensor second_order_function(const std::string& op, const Tensor& x, const Tensor& w) {
  if (op == "hvp_batched_matmul") return sum(pow(tanh(matmul(x, w)), 2.0));
  if (op == "hvp_bmm") return sum(pow(sin(bmm(x, expand(w, {2, 3, 4}))), 2.0));
  if (op == "hvp_logsumexp") return sum(pow(logsumexp(matmul(x, w), {-1}), 2.0));
  if (op == "hvp_var_std") return sum(mul(var(matmul(x, w), {1}), xgrad::std(x, {-1}, true, true)));
  if (op == "hvp_norm") return sum(pow(norm(matmul(x, w), 2, {-1}), 3.0));
  if (op == "hvp_min_cumsum") return sum(min(pow(cumsum(matmul(x, w), -2), 2.0), {-1}));
  if (op == "hvp_view_ops") {
    const Tensor cubes = flatten(pow(permute(x, {2, 0, 1}), 3.0), 1);  // (3, 4)
    const Tensor weight =
        mul(squeeze(unsqueeze(w, 1), 1), sum(expand(unsqueeze(w, 0), {2, 3, 4}), {0}));
    return add(sum(mul(cubes, weight)), sum(pow(repeat(x, {1, 2, 1}), 4.0)));
  }
  if (op == "hvp_join_ops") {
    const Tensor product = matmul(x, w);  // (2, 2, 4)
    const Tensor lower = tril(stack({product, pad(x, {0, 1}, 0.5)}), -1);
    return sum(mul(pow(lower, 2.0), concat(split(triu(product), {1, 3}, -1), -1)));
  }
  throw std::runtime_error("unknown second-order op '" + op + "'");
}

Tensor evaluate_any(const ReferenceCase& c, const std::vector<Tensor>& x) {
  if (!is_second_order(c)) return evaluate(c, x);
  return first_gradient(second_order_function(c.op, x.at(0), x.at(1)), x.at(0));
}

const std::vector<std::string> first_order_ops = {
    "matmul",  "matmul_flags", "bmm",     "logsumexp", "var",        "std",         "norm",
    "min",     "cumsum",       "sign",    "sin",       "cos",        "squeeze",     "unsqueeze",
    "permute", "expand",       "flatten", "stack",     "split_size", "split_sizes", "chunk",
    "pad",     "repeat",       "tril",    "triu"};

const std::vector<std::string> second_order_ops = {
    "hvp_batched_matmul", "hvp_bmm",        "hvp_logsumexp", "hvp_var_std",
    "hvp_norm",           "hvp_min_cumsum", "hvp_view_ops",  "hvp_join_ops"};

}  // namespace

TEST_CASE("the ops' PyTorch reference file is complete and names only known ops",
          "[autograd][torch]") {
  const std::vector<ReferenceCase>& cases = reference_cases(reference_file);
  REQUIRE(cases.size() >= 80);  // a truncated or stale file fails instead of passing on the rest
  for (const ReferenceCase& c : cases) {
    INFO("case " << c.name << " (op " << c.op << ")");
    CHECK((contains(first_order_ops, c.op) || contains(second_order_ops, c.op)));
  }
}

TEST_CASE("batched matmul, statistics, view and join ops match PyTorch in value and gradient",
          "[autograd][torch]") {
  check_against_torch(reference_file, first_order_ops, evaluate_any);
}

TEST_CASE("Hessian-vector products through the new ops match PyTorch", "[autograd][torch]") {
  check_against_torch(reference_file, second_order_ops, evaluate_any);
}

}  // namespace xgrad

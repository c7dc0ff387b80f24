// Forward values and gradients of xgrad's ops against PyTorch: tests/data/torch_reference.txt,
// written once by scripts/make_torch_reference.py, holds torch's float64 results for fixed inputs,
// and each case is rebuilt here from the same inputs. PyTorch is not needed to build or run this.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "autograd/autograd.hpp"
#include "torch_reference.hpp"

namespace xgrad {
namespace {

using namespace torch_reference;

// At least this many cases: a truncated or stale file fails instead of passing on what is left.
constexpr std::size_t minimum_case_count = 100;

const std::vector<ReferenceCase>& reference_cases() {
  return torch_reference::reference_cases("torch_reference.txt");
}

/// The case's op applied to its inputs, as the script applied the torch op.
Tensor evaluate(const ReferenceCase& c, const std::vector<Tensor>& x) {
  const std::string& op = c.op;
  // Elementwise arithmetic.
  if (op == "add") return add(x.at(0), x.at(1));
  if (op == "sub") return sub(x.at(0), x.at(1));
  if (op == "mul") return mul(x.at(0), x.at(1));
  if (op == "div") return div(x.at(0), x.at(1));
  if (op == "neg") return -x.at(0);
  if (op == "add_scalar") return x.at(0) + number_param(c, "scalar");
  if (op == "mul_scalar") return x.at(0) * number_param(c, "scalar");
  if (op == "rsub_scalar") return number_param(c, "scalar") - x.at(0);
  if (op == "div_scalar") return x.at(0) / number_param(c, "scalar");
  if (op == "rdiv_scalar") return number_param(c, "scalar") / x.at(0);
  // Powers and unary math.
  if (op == "pow_scalar") return pow(x.at(0), number_param(c, "exponent"));
  if (op == "pow") return pow(x.at(0), x.at(1));
  if (op == "exp") return exp(x.at(0));
  if (op == "log") return log(x.at(0));
  if (op == "sqrt") return sqrt(x.at(0));
  if (op == "abs") return abs(x.at(0));
  // Activations.
  if (op == "sigmoid") return sigmoid(x.at(0));
  if (op == "tanh") return tanh(x.at(0));
  if (op == "relu") return relu(x.at(0));
  if (op == "leaky_relu") return leaky_relu(x.at(0), number_param(c, "negative_slope"));
  if (op == "softplus") return softplus(x.at(0), number_param(c, "beta"));
  // Clamping and elementwise extrema.
  if (op == "clamp") {
    if (c.params.count("max") == 0) return clamp(x.at(0), number_param(c, "min"));
    return clamp(x.at(0), number_param(c, "min"), number_param(c, "max"));
  }
  if (op == "minimum") return minimum(x.at(0), x.at(1));
  if (op == "maximum") return maximum(x.at(0), x.at(1));
  // Matrix products.
  if (op == "matmul") return matmul(x.at(0), x.at(1));
  if (op == "matmul_flags") {
    return matmul(x.at(0), x.at(1), integer_param(c, "transpose_a") != 0,
                  integer_param(c, "transpose_b") != 0);
  }
  // Shape ops.
  if (op == "transpose") return transpose(x.at(0));
  if (op == "transpose_axes") {
    const std::vector<long> axes = integers_param(c, "axes");
    return transpose(x.at(0), axes.at(0), axes.at(1));
  }
  if (op == "reshape") return reshape(x.at(0), integers_param(c, "shape"));
  if (op == "concat") return concat(x, integer_param(c, "axis"));
  if (op == "index_select") {
    return index_select(x.at(0), integer_param(c, "axis"), indices_param(c, "indices"));
  }
  if (op == "slice") {
    return slice(x.at(0), integer_param(c, "axis"), indices_param(c, "start").at(0),
                 indices_param(c, "stop").at(0), indices_param(c, "step").at(0));
  }
  if (op == "select")
    return select(x.at(0), integer_param(c, "axis"), indices_param(c, "index").at(0));
  // Reductions.
  if (op == "sum" || op == "mean" || op == "max") {
    const std::vector<long> axes = integers_param(c, "axes");
    const bool keepdim = integer_param(c, "keepdim") != 0;
    if (op == "sum") return sum(x.at(0), axes, keepdim);
    if (op == "mean") return mean(x.at(0), axes, keepdim);
    return max(x.at(0), axes, keepdim);
  }
  if (op == "softmax") return softmax(x.at(0), integer_param(c, "axis"));
  if (op == "log_softmax") return log_softmax(x.at(0), integer_param(c, "axis"));
  // Losses.
  if (op == "mse_loss") return mse_loss(x.at(0), x.at(1), reduction_param(c));
  if (op == "binary_cross_entropy")
    return binary_cross_entropy(x.at(0), x.at(1), reduction_param(c));
  if (op == "binary_cross_entropy_with_logits") {
    return binary_cross_entropy_with_logits(x.at(0), x.at(1), reduction_param(c));
  }
  if (op == "cross_entropy") return cross_entropy(x.at(0), target_param(c), reduction_param(c));
  if (op == "nll_loss" || op == "cross_entropy_weighted" || op == "cross_entropy_ignored") {
    const std::vector<std::int64_t> t = target_param(c);
    const Tensor target = from_vector(t, {t.size()});
    Tensor weight;
    if (c.params.count("weight")) {
      std::vector<double> w;
      for (const std::string& token : param(c, "weight")) w.push_back(std::stod(token));
      weight = from_vector(w, {w.size()});
    }
    const Reduction reduction = c.params.count("reduction") ? reduction_param(c) : Reduction::mean;
    const long ignore = integer_param(c, "ignore_index");
    if (op == "nll_loss") return nll_loss(x.at(0), target, weight, ignore, reduction);
    return cross_entropy(x.at(0), target, weight, ignore, reduction);
  }
  if (op == "where" || op == "masked_fill") {
    std::vector<bool> mask;
    for (long v : integers_param(c, "mask")) mask.push_back(v != 0);
    if (op == "masked_fill") {
      return masked_fill(x.at(0) * x.at(0), from_vector(mask, {mask.size()}),
                         number_param(c, "value"));
    }
    return where(from_vector(mask, x.at(0).shape()), x.at(0) * x.at(1), x.at(1));
  }
  // Composites.
  if (op == "mlp") {
    // x (N, D), W1 (D, H), b1 (H), W2 (H, C), b2 (C)
    Tensor hidden = tanh(add(matmul(x.at(0), x.at(1)), x.at(2)));  // (N, H)
    Tensor logits = add(matmul(hidden, x.at(3)), x.at(4));         // (N, C)
    return cross_entropy(logits, target_param(c));
  }
  if (op == "logistic_regression") {
    // X (N, D), w (D), b (), y (N): mean BCE on logits X w + b, plus 0.1 |w|^2
    Tensor logits = add(matmul(x.at(0), x.at(1)), x.at(2));  // (N,)
    return add(binary_cross_entropy_with_logits(logits, x.at(3)), mul(sum(pow(x.at(1), 2.0)), 0.1));
  }
  // Second order: the output is df/dx, differentiated again by the caller. x (N, D), W (D, K).
  if (op == "hvp_tanh_squared") {
    return first_gradient(sum(pow(tanh(matmul(x.at(0), x.at(1))), 2.0)), x.at(0));
  }
  if (op == "hvp_log_softmax") {
    // C (N, K) weights the log-probabilities
    return first_gradient(sum(mul(log_softmax(matmul(x.at(0), x.at(1)), 1), x.at(2))), x.at(0));
  }
  if (op == "hvp_bce_with_logits_softplus") {
    // T (N, K) soft labels
    Tensor f = add(binary_cross_entropy_with_logits(matmul(x.at(0), x.at(1)), x.at(2)),
                   sum(softplus(x.at(0), 2.0)));
    return first_gradient(f, x.at(0));
  }
  throw std::runtime_error("case '" + c.name + "': unknown op '" + op + "'");
}

void check_against_torch(const std::vector<std::string>& ops) {
  torch_reference::check_against_torch("torch_reference.txt", ops, evaluate);
}

const std::vector<std::string> arithmetic_ops = {
    "add",        "sub",        "mul",         "div",        "neg",
    "add_scalar", "mul_scalar", "rsub_scalar", "div_scalar", "rdiv_scalar"};
const std::vector<std::string> math_ops = {"pow_scalar", "pow", "exp", "log", "sqrt", "abs"};
const std::vector<std::string> activation_ops = {"sigmoid", "tanh", "relu", "leaky_relu",
                                                 "softplus"};
const std::vector<std::string> extremum_ops = {"clamp", "minimum", "maximum"};
const std::vector<std::string> matmul_ops = {"matmul", "matmul_flags"};
const std::vector<std::string> shape_ops = {"transpose",    "transpose_axes", "reshape", "concat",
                                            "index_select", "slice",          "select"};
const std::vector<std::string> reduction_ops = {"sum", "mean", "max"};
const std::vector<std::string> softmax_ops = {"softmax", "log_softmax"};
const std::vector<std::string> loss_ops = {"mse_loss", "binary_cross_entropy",
                                           "binary_cross_entropy_with_logits", "cross_entropy"};
const std::vector<std::string> class_weight_ops = {"nll_loss", "cross_entropy_weighted",
                                                   "cross_entropy_ignored"};
const std::vector<std::string> mask_ops = {"where", "masked_fill"};
const std::vector<std::string> composite_ops = {"mlp", "logistic_regression"};
const std::vector<std::string> second_order_ops = {"hvp_tanh_squared", "hvp_log_softmax",
                                                   "hvp_bce_with_logits_softplus"};

}  // namespace

TEST_CASE("the PyTorch reference file is complete and every case belongs to a tested family",
          "[autograd][torch]") {
  const std::vector<ReferenceCase>& cases = reference_cases();
  REQUIRE(cases.size() >= minimum_case_count);
  for (const ReferenceCase& c : cases) {
    INFO("case " << c.name << " has op " << c.op << ", which no TEST_CASE here checks");
    CHECK((contains(arithmetic_ops, c.op) || contains(math_ops, c.op) ||
           contains(activation_ops, c.op) || contains(extremum_ops, c.op) ||
           contains(matmul_ops, c.op) || contains(shape_ops, c.op) ||
           contains(reduction_ops, c.op) || contains(softmax_ops, c.op) ||
           contains(loss_ops, c.op) || contains(composite_ops, c.op) ||
           contains(second_order_ops, c.op) || contains(class_weight_ops, c.op) ||
           contains(mask_ops, c.op)));
  }
}

TEST_CASE("add, sub, mul and div match PyTorch, broadcasting and scalars included",
          "[autograd][torch]") {
  check_against_torch(arithmetic_ops);
}

TEST_CASE("pow, exp, log, sqrt and abs match PyTorch", "[autograd][torch]") {
  check_against_torch(math_ops);
}

TEST_CASE("sigmoid, tanh, relu, leaky_relu and softplus match PyTorch", "[autograd][torch]") {
  check_against_torch(activation_ops);
}

TEST_CASE("clamp, minimum and maximum match PyTorch away from kinks and ties",
          "[autograd][torch]") {
  check_against_torch(extremum_ops);
}

TEST_CASE("matmul matches PyTorch for matrices, vectors and transpose flags", "[autograd][torch]") {
  check_against_torch(matmul_ops);
}

TEST_CASE("transpose, reshape, concat, index_select, slice and select match PyTorch",
          "[autograd][torch]") {
  check_against_torch(shape_ops);
}

TEST_CASE("sum, mean and max over all or some axes match PyTorch", "[autograd][torch]") {
  check_against_torch(reduction_ops);
}

TEST_CASE("softmax and log_softmax match PyTorch, logits near 1000 included", "[autograd][torch]") {
  check_against_torch(softmax_ops);
}

TEST_CASE("mse, binary and multiclass cross-entropy losses match PyTorch", "[autograd][torch]") {
  check_against_torch(loss_ops);
}

TEST_CASE("nll_loss and cross_entropy with class weights and ignore_index match PyTorch",
          "[autograd][torch]") {
  check_against_torch(class_weight_ops);
}

TEST_CASE("where and masked_fill match PyTorch", "[autograd][torch]") {
  check_against_torch(mask_ops);
}

TEST_CASE("a two-layer MLP and L2-regularised logistic regression match PyTorch",
          "[autograd][torch]") {
  check_against_torch(composite_ops);
}

TEST_CASE("Hessian-vector products through create_graph match PyTorch", "[autograd][torch]") {
  check_against_torch(second_order_ops);
}

}  // namespace xgrad

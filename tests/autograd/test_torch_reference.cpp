// Forward values and gradients of xgrad's ops against PyTorch: tests/data/torch_reference.txt,
// written once by scripts/make_torch_reference.py, holds torch's float64 results for fixed inputs,
// and each case is rebuilt here from the same inputs. PyTorch is not needed to build or run this.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/autograd.hpp"

namespace xgrad {
namespace {

// Both sides compute in float64 with the same formulas up to the order of a few roundings, so
// values agree to a few ulps; 1e-12 relative (and absolute, for values that cancel to ~0) leaves
// room for that and nothing else.
constexpr double tolerance = 1e-12;

// At least this many cases: a truncated or stale file fails instead of passing on what is left.
constexpr std::size_t minimum_case_count = 100;

const char* const regenerate_hint =
    "(regenerate it with /usr/bin/python3 scripts/make_torch_reference.py)";

/// A tensor of the reference file: name (inputs and grads only), shape and row-major values.
struct ReferenceTensor {
  std::string name;
  bool requires_grad = false;
  Shape shape;
  std::vector<double> values;
};

/// One op applied to named inputs, with torch's output and the gradients of
/// sum(output * grad_output) for every input that requires grad.
struct ReferenceCase {
  std::string name;
  std::string op;
  std::size_t line = 0;  // where the case starts in the file
  std::map<std::string, std::vector<std::string>> params;
  std::vector<ReferenceTensor> inputs;
  ReferenceTensor output;
  ReferenceTensor grad_output;
  std::vector<ReferenceTensor> grads;  // one per input that requires grad, in input order
};

/// Reads the line-based format described in scripts/make_torch_reference.py. Throws
/// std::runtime_error naming the file and line for anything missing or malformed.
class ReferenceParser {
 public:
  explicit ReferenceParser(std::string path) : path_(std::move(path)) {}

  std::vector<ReferenceCase> parse() {
    std::ifstream file(path_);
    if (!file) fail("cannot open the file " + std::string(regenerate_hint));
    std::vector<ReferenceCase> cases;
    long declared = -1;
    bool in_case = false;
    std::string text;
    while (std::getline(file, text)) {
      ++line_;
      if (text.empty() || text[0] == '#') continue;
      std::istringstream in(text);
      std::string keyword;
      in >> keyword;
      if (keyword == "cases") {
        if (declared >= 0) fail("a second 'cases' line");
        declared = static_cast<long>(read_count(in, "case count"));
      } else if (declared < 0) {
        fail("expected 'cases N' before '" + keyword + "'");
      } else if (keyword == "case") {
        if (in_case) fail("case '" + cases.back().name + "' has no 'end'");
        in_case = true;
        cases.emplace_back();
        cases.back().name = read_word(in, "case name");
        cases.back().op = read_word(in, "op");
        cases.back().line = line_;
      } else if (!in_case) {
        fail("'" + keyword + "' outside a case");
      } else if (keyword == "param") {
        const std::string key = read_word(in, "parameter name");
        std::vector<std::string> tokens;
        for (std::string token; in >> token;) tokens.push_back(token);
        cases.back().params[key] = tokens;
      } else if (keyword == "input") {
        ReferenceTensor t;
        t.name = read_word(in, "input name");
        t.requires_grad = read_count(in, "requires_grad flag") != 0;
        read_tensor(in, t);
        cases.back().inputs.push_back(t);
      } else if (keyword == "output") {
        read_tensor(in, cases.back().output);
      } else if (keyword == "grad_output") {
        read_tensor(in, cases.back().grad_output);
      } else if (keyword == "grad") {
        ReferenceTensor t;
        t.name = read_word(in, "grad name");
        read_tensor(in, t);
        cases.back().grads.push_back(t);
      } else if (keyword == "end") {
        validate(cases.back());
        in_case = false;
      } else {
        fail("unknown record '" + keyword + "'");
      }
      std::string extra;
      if (in >> extra) fail("unexpected token '" + extra + "' at the end of the line");
    }
    if (in_case) fail("the file ends inside case '" + cases.back().name + "'");
    if (declared < 0) fail("no 'cases N' line; the file is empty or not a reference file");
    if (static_cast<std::size_t>(declared) != cases.size()) {
      fail("declares " + std::to_string(declared) + " cases but holds " +
           std::to_string(cases.size()));
    }
    return cases;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    const std::string where = line_ == 0 ? path_ : path_ + ":" + std::to_string(line_);
    throw std::runtime_error("torch reference " + where + ": " + what);
  }

  std::string read_word(std::istringstream& in, const char* what) {
    std::string word;
    if (!(in >> word)) fail(std::string("missing ") + what);
    return word;
  }

  std::size_t read_count(std::istringstream& in, const char* what) {
    const std::string word = read_word(in, what);
    if (word.find_first_not_of("0123456789") != std::string::npos) {
      fail(std::string("bad ") + what + " '" + word + "'");
    }
    return std::stoul(word);
  }

  double read_number(std::istringstream& in) {
    const std::string word = read_word(in, "value");
    char* end = nullptr;
    const double value = std::strtod(word.c_str(), &end);
    if (end != word.c_str() + word.size()) fail("bad number '" + word + "'");
    return value;
  }

  // RANK D1..DR V1..VN
  void read_tensor(std::istringstream& in, ReferenceTensor& t) {
    const std::size_t rank = read_count(in, "rank");
    t.shape.clear();
    for (std::size_t d = 0; d < rank; ++d) t.shape.push_back(read_count(in, "extent"));
    t.values.resize(shape_numel(t.shape));
    for (double& v : t.values) v = read_number(in);
  }

  void validate(const ReferenceCase& c) const {
    std::vector<const ReferenceTensor*> wanted;
    for (const ReferenceTensor& t : c.inputs) {
      if (t.requires_grad) wanted.push_back(&t);
    }
    if (c.inputs.empty()) fail("case '" + c.name + "' has no input");
    if (c.output.shape != c.grad_output.shape || c.output.values.empty()) {
      fail("case '" + c.name + "' needs an output and a grad_output of the same shape");
    }
    if (wanted.size() != c.grads.size()) {
      fail("case '" + c.name + "' has " + std::to_string(c.grads.size()) + " grads for " +
           std::to_string(wanted.size()) + " inputs that require grad");
    }
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      if (c.grads[i].name != wanted[i]->name || c.grads[i].shape != wanted[i]->shape) {
        fail("case '" + c.name + "': grad '" + c.grads[i].name + "' does not match input '" +
             wanted[i]->name + "'");
      }
    }
  }

  std::string path_;
  std::size_t line_ = 0;
};

/// The cases of the reference file, read once. Throws (failing the calling test) if the file is
/// missing or malformed.
const std::vector<ReferenceCase>& reference_cases() {
  static const std::vector<ReferenceCase> cases =
      ReferenceParser(std::string(XGRAD_TEST_DATA_DIR) + "/torch_reference.txt").parse();
  return cases;
}

const std::vector<std::string>& param(const ReferenceCase& c, const std::string& key) {
  auto it = c.params.find(key);
  if (it == c.params.end()) {
    throw std::runtime_error("case '" + c.name + "' has no parameter '" + key + "'");
  }
  return it->second;
}

double number_param(const ReferenceCase& c, const std::string& key) {
  const std::vector<std::string>& tokens = param(c, key);
  if (tokens.size() != 1) throw std::runtime_error("parameter '" + key + "' is not one number");
  return std::stod(tokens[0]);
}

std::vector<long> integers_param(const ReferenceCase& c, const std::string& key) {
  std::vector<long> values;
  for (const std::string& token : param(c, key)) values.push_back(std::stol(token));
  return values;
}

long integer_param(const ReferenceCase& c, const std::string& key) {
  const std::vector<long> values = integers_param(c, key);
  if (values.size() != 1) throw std::runtime_error("parameter '" + key + "' is not one integer");
  return values[0];
}

std::vector<std::size_t> indices_param(const ReferenceCase& c, const std::string& key) {
  std::vector<std::size_t> indices;
  for (long v : integers_param(c, key)) indices.push_back(static_cast<std::size_t>(v));
  return indices;
}

std::vector<std::int64_t> target_param(const ReferenceCase& c) {
  std::vector<std::int64_t> target;
  for (long v : integers_param(c, "target")) target.push_back(v);
  return target;
}

Reduction reduction_param(const ReferenceCase& c) {
  const std::string& name = param(c, "reduction").at(0);
  if (name == "mean") return Reduction::mean;
  if (name == "sum") return Reduction::sum;
  if (name == "none") return Reduction::none;
  throw std::runtime_error("case '" + c.name + "': unknown reduction '" + name + "'");
}

Tensor to_tensor(const ReferenceTensor& t) {
  auto values = xt::xarray<double>::from_shape(t.shape);
  std::copy(t.values.begin(), t.values.end(), values.data());
  return Tensor(std::move(values), t.requires_grad);
}

/// df/dx as a tensor that records its own graph (create_graph), for second-order cases.
Tensor first_gradient(const Tensor& f, const Tensor& x) {
  return autograd::grad({f}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true).at(0);
}

bool is_second_order(const ReferenceCase& c) {
  return c.op.rfind("hvp_", 0) == 0;
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

std::string full_precision(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

// "(1, 2)": the multi-index of a row-major flat index.
std::string index_string(const Shape& shape, std::size_t flat) {
  Shape index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return format_shape(index);
}

void check_close(const std::string& what, const Tensor& actual, const ReferenceTensor& expected) {
  INFO(what);
  REQUIRE(actual.defined());
  REQUIRE(actual.dtype() == float64);
  CHECK(format_shape(actual.shape()) == format_shape(expected.shape));
  if (actual.shape() != expected.shape) return;
  const double* values = actual.data<double>().data();
  for (std::size_t i = 0; i < expected.values.size(); ++i) {
    INFO(what << " at " << index_string(expected.shape, i) << ": xgrad "
              << full_precision(values[i]) << ", torch " << full_precision(expected.values[i]));
    CHECK(values[i] == Approx(expected.values[i]).epsilon(tolerance).margin(tolerance));
  }
}

/// Rebuilds one case in xgrad and compares its output and every input gradient with torch's.
void check_case(const ReferenceCase& c) {
  INFO("case " << c.name << " (op " << c.op << ", line " << c.line << " of torch_reference.txt)");
  std::vector<Tensor> inputs;
  std::vector<Tensor> wanted;
  for (const ReferenceTensor& t : c.inputs) {
    inputs.push_back(to_tensor(t));
    if (t.requires_grad) wanted.push_back(inputs.back());
  }
  const Tensor output = evaluate(c, inputs);
  check_close("output", output, c.output);
  const Tensor grad_output = to_tensor(c.grad_output);
  std::vector<Tensor> grads;
  if (is_second_order(c)) {
    // As the script does: the gradient of (g . v), through the graph g recorded.
    grads = autograd::grad({sum(mul(output, grad_output))}, wanted);
  } else {
    output.backward(grad_output);
    for (const Tensor& t : wanted) grads.push_back(t.grad());
  }
  REQUIRE(grads.size() == c.grads.size());
  for (std::size_t i = 0; i < grads.size(); ++i) {
    check_close("grad of " + c.grads[i].name, grads[i], c.grads[i]);
  }
}

bool contains(const std::vector<std::string>& ops, const std::string& op) {
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

/// Checks every case whose op is in `ops`, one SECTION per case, after asserting that each op has
/// at least one case in the file.
void check_against_torch(const std::vector<std::string>& ops) {
  const std::vector<ReferenceCase>& cases = reference_cases();
  for (const std::string& op : ops) {
    INFO("op " << op << " has no case in torch_reference.txt " << regenerate_hint);
    CHECK(std::any_of(cases.begin(), cases.end(),
                      [&](const ReferenceCase& c) { return c.op == op; }));
  }
  for (const ReferenceCase& c : cases) {
    if (!contains(ops, c.op)) continue;
    SECTION(c.name) {
      check_case(c);
    }
  }
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
           contains(second_order_ops, c.op)));
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

TEST_CASE("a two-layer MLP and L2-regularised logistic regression match PyTorch",
          "[autograd][torch]") {
  check_against_torch(composite_ops);
}

TEST_CASE("Hessian-vector products through create_graph match PyTorch", "[autograd][torch]") {
  check_against_torch(second_order_ops);
}

}  // namespace xgrad

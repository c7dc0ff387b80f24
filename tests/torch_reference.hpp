// Tests' side of the PyTorch reference files (tests/data/torch_reference*.txt, written by
// scripts/make_torch_reference*.py): the parser of their line-based format, parameter accessors,
// and the check that rebuilds each case in xgrad and compares values and gradients with torch's. A
// test file names its reference file and supplies the function that applies a case's op.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/autograd.hpp"

namespace xgrad::torch_reference {

// Both sides compute in float64 with the same formulas up to the order of a few roundings, so
// values agree to a few ulps; 1e-12 relative (and absolute, for values that cancel to ~0) leaves
// room for that and nothing else.
inline constexpr double tolerance = 1e-12;

inline const char* const regenerate_hint =
    "(regenerate it with /usr/bin/python3 scripts/make_torch_reference*.py)";

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

/// The cases of reference file `name` in tests/data, read once per file. Throws (failing the
/// calling test) if the file is missing or malformed.
inline const std::vector<ReferenceCase>& reference_cases(const std::string& name) {
  static std::map<std::string, std::vector<ReferenceCase>> files;
  auto it = files.find(name);
  if (it == files.end()) {
    it = files.emplace(name, ReferenceParser(std::string(XGRAD_TEST_DATA_DIR) + "/" + name).parse())
             .first;
  }
  return it->second;
}

inline const std::vector<std::string>& param(const ReferenceCase& c, const std::string& key) {
  auto it = c.params.find(key);
  if (it == c.params.end()) {
    throw std::runtime_error("case '" + c.name + "' has no parameter '" + key + "'");
  }
  return it->second;
}

inline double number_param(const ReferenceCase& c, const std::string& key) {
  const std::vector<std::string>& tokens = param(c, key);
  if (tokens.size() != 1) throw std::runtime_error("parameter '" + key + "' is not one number");
  return std::stod(tokens[0]);
}

inline std::vector<long> integers_param(const ReferenceCase& c, const std::string& key) {
  std::vector<long> values;
  for (const std::string& token : param(c, key)) values.push_back(std::stol(token));
  return values;
}

inline long integer_param(const ReferenceCase& c, const std::string& key) {
  const std::vector<long> values = integers_param(c, key);
  if (values.size() != 1) throw std::runtime_error("parameter '" + key + "' is not one integer");
  return values[0];
}

inline std::vector<std::size_t> indices_param(const ReferenceCase& c, const std::string& key) {
  std::vector<std::size_t> indices;
  for (long v : integers_param(c, key)) indices.push_back(static_cast<std::size_t>(v));
  return indices;
}

inline std::vector<std::int64_t> target_param(const ReferenceCase& c) {
  std::vector<std::int64_t> target;
  for (long v : integers_param(c, "target")) target.push_back(v);
  return target;
}

inline Reduction reduction_param(const ReferenceCase& c) {
  const std::string& name = param(c, "reduction").at(0);
  if (name == "mean") return Reduction::mean;
  if (name == "sum") return Reduction::sum;
  if (name == "none") return Reduction::none;
  throw std::runtime_error("case '" + c.name + "': unknown reduction '" + name + "'");
}

inline Tensor to_tensor(const ReferenceTensor& t) {
  auto values = xt::xarray<double>::from_shape(t.shape);
  std::copy(t.values.begin(), t.values.end(), values.data());
  return Tensor(std::move(values), t.requires_grad);
}

/// df/dx as a tensor that records its own graph (create_graph), for second-order cases.
inline Tensor first_gradient(const Tensor& f, const Tensor& x) {
  return autograd::grad({f}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true).at(0);
}

inline bool is_second_order(const ReferenceCase& c) {
  return c.op.rfind("hvp_", 0) == 0;
}

/// Applies a case's op to its inputs, as the script applied the torch op.
using Evaluate = std::function<Tensor(const ReferenceCase&, const std::vector<Tensor>&)>;

inline std::string full_precision(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

// "(1, 2)": the multi-index of a row-major flat index.
inline std::string index_string(const Shape& shape, std::size_t flat) {
  Shape index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return format_shape(index);
}

inline void check_close(const std::string& what, const Tensor& actual,
                        const ReferenceTensor& expected) {
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
inline void check_case(const ReferenceCase& c, const Evaluate& evaluate) {
  INFO("case " << c.name << " (op " << c.op << ", line " << c.line << ")");
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

inline bool contains(const std::vector<std::string>& ops, const std::string& op) {
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

/// Checks every case whose op is in `ops`, one SECTION per case, after asserting that each op has
/// at least one case in the file.
inline void check_against_torch(const std::string& file, const std::vector<std::string>& ops,
                                const Evaluate& evaluate) {
  const std::vector<ReferenceCase>& cases = reference_cases(file);
  for (const std::string& op : ops) {
    INFO("op " << op << " has no case in " << file << " " << regenerate_hint);
    CHECK(std::any_of(cases.begin(), cases.end(),
                      [&](const ReferenceCase& c) { return c.op == op; }));
  }
  for (const ReferenceCase& c : cases) {
    if (!contains(ops, c.op)) continue;
    SECTION(c.name) {
      check_case(c, evaluate);
    }
  }
}

}  // namespace xgrad::torch_reference

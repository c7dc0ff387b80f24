// Gradient checks by central differences, first and second order.
#include "autograd/gradcheck.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "autograd/engine.hpp"
#include "autograd/factory.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace xgrad {

namespace {

void check_float64(const char* op, const Tensor& t, const std::string& what) {
  if (!t.defined()) throw std::invalid_argument(std::string(op) + ": " + what + " is undefined");
  if (t.dtype() != float64) {
    throw std::invalid_argument(std::string(op) + ": " + what + " is " + dtype_name(t.dtype()) +
                                "; gradient checks need float64");
  }
}

// out(flattened) as a vector of doubles.
std::vector<double> flat_values(const Tensor& t) {
  const auto& a = t.data<double>();
  return std::vector<double>(a.data(), a.data() + a.size());
}

}  // namespace

GradcheckResult gradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs, double eps,
                          double atol, double rtol) {
  std::vector<std::size_t> checked;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    check_float64("gradcheck", inputs[i], "input " + std::to_string(i));
    if (inputs[i].requires_grad()) checked.push_back(i);
  }
  if (checked.empty()) throw std::invalid_argument("gradcheck: no input requires grad");
  if (!(eps > 0)) throw std::invalid_argument("gradcheck: eps must be positive");

  // Numeric Jacobian, column by column: perturb one input element at a time.
  std::size_t out_size = 0;
  std::vector<std::vector<std::vector<double>>> numeric(inputs.size());  // [input][elem][out]
  {
    no_grad guard;
    for (std::size_t i : checked) {
      Tensor x = inputs[i];  // a handle to the same values, to perturb them in place
      auto& values = x.data<double>();
      numeric[i].resize(values.size());
      for (std::size_t j = 0; j < values.size(); ++j) {
        const double saved = values.data()[j];
        // Read each output before the next perturbation: it may share the input's values.
        values.data()[j] = saved + eps;
        const Tensor plus = f(inputs);
        check_float64("gradcheck", plus, "the output");
        const std::vector<double> p = flat_values(plus);
        values.data()[j] = saved - eps;
        const std::vector<double> m = flat_values(f(inputs));
        values.data()[j] = saved;
        out_size = p.size();
        numeric[i][j].resize(p.size());
        for (std::size_t k = 0; k < p.size(); ++k) numeric[i][j][k] = (p[k] - m[k]) / (2 * eps);
      }
    }
  }

  // Analytic Jacobian, row by row: one backward per output element.
  const Tensor out = f(inputs);
  check_float64("gradcheck", out, "the output");
  out_size = out.numel();
  std::vector<Tensor> wrt;
  for (std::size_t i : checked) wrt.push_back(inputs[i]);

  // The worst entry is the one furthest past its tolerance, relative to that tolerance.
  GradcheckResult result;
  double worst_ratio = -1;
  std::size_t entries = 0;
  for (std::size_t k = 0; k < out_size; ++k) {
    std::vector<Tensor> grads(wrt.size());
    if (out.requires_grad()) {
      Tensor seed = zeros(out.shape(), float64);
      seed.data<double>().data()[k] = 1;
      grads = autograd::grad({out}, wrt, {seed}, /*retain_graph=*/true, /*create_graph=*/false,
                             /*allow_unused=*/true);
    }
    for (std::size_t c = 0; c < checked.size(); ++c) {
      const std::size_t i = checked[c];
      for (std::size_t j = 0; j < numeric[i].size(); ++j) {
        const double a = grads[c].defined() ? grads[c].data<double>().data()[j] : 0.0;
        const double n = numeric[i][j].empty() ? 0.0 : numeric[i][j][k];
        const double error = std::abs(a - n);
        const double ratio = std::isnan(error) ? INFINITY : error / (atol + rtol * std::abs(n));
        ++entries;
        result.max_abs_error = std::max(result.max_abs_error, error);
        if (ratio > worst_ratio) {
          worst_ratio = ratio;
          result.input = i;
          result.index = j;
          result.output_index = k;
          result.analytic = a;
          result.numeric = n;
        }
      }
    }
  }
  result.passed = worst_ratio <= 1;
  std::ostringstream message;
  message.precision(10);
  if (result.passed) {
    message << "gradcheck passed: " << entries << " Jacobian entries, largest |analytic - numeric| "
            << result.max_abs_error;
  } else {
    message << "gradcheck failed: input " << result.input << ", element " << result.index
            << ", output element " << result.output_index << ": analytic " << result.analytic
            << ", numeric " << result.numeric << " (allowed difference atol " << atol << " + rtol "
            << rtol << " * |numeric|)";
  }
  result.message = message.str();
  return result;
}

GradcheckResult gradgradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                              double eps, double atol, double rtol) {
  std::vector<std::size_t> differentiable;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    check_float64("gradgradcheck", inputs[i], "input " + std::to_string(i));
    if (inputs[i].requires_grad()) differentiable.push_back(i);
  }
  if (differentiable.empty()) throw std::invalid_argument("gradgradcheck: no input requires grad");
  const Tensor probe = f(inputs);
  check_float64("gradgradcheck", probe, "the output");
  Generator generator(12345);
  Tensor v = randn(probe.shape(), generator, float64);
  v.requires_grad_(true);

  // (inputs..., v) -> the vector-Jacobian products v^T J, flattened and joined into one vector.
  const std::size_t n = inputs.size();
  TensorFunction vjp = [&f, n, differentiable](const std::vector<Tensor>& args) {
    const std::vector<Tensor> xs(args.begin(), args.begin() + static_cast<long>(n));
    const Tensor& w = args[n];
    enable_grad guard;  // the numeric pass runs under no_grad, but a vjp needs a graph
    const Tensor y = f(xs);
    std::vector<Tensor> wrt;
    for (std::size_t i : differentiable) wrt.push_back(xs[i]);
    std::vector<Tensor> parts;
    if (!y.requires_grad()) {
      for (const Tensor& x : wrt) parts.push_back(zeros({x.numel()}, float64));
    } else {
      const std::vector<Tensor> grads = autograd::grad({y}, wrt, {w}, true, true, true);
      for (std::size_t c = 0; c < wrt.size(); ++c) {
        const Tensor g = grads[c].defined() ? grads[c] : zeros(wrt[c].shape(), float64);
        parts.push_back(reshape(g, {-1}));
      }
    }
    return concat(parts, 0);
  };
  std::vector<Tensor> args = inputs;
  args.push_back(v);
  GradcheckResult result = gradcheck(vjp, args, eps, atol, rtol);
  result.message = "grad" + result.message;
  return result;
}

}  // namespace xgrad

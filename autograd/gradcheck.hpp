// Gradient checks: analytic first and second derivatives against central differences, in float64,
// reporting the worst element (as PyTorch's torch.autograd.gradcheck does).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// The outcome of a check. When it fails, `input`, `index`, `output_index`, `analytic` and
/// `numeric` name the worst Jacobian entry and `message` says it in words.
struct GradcheckResult {
  bool passed = true;
  std::size_t input = 0;         // which input (position in the inputs vector)
  std::size_t index = 0;         // flat index of the element within that input
  std::size_t output_index = 0;  // flat index of the output element
  double analytic = 0;
  double numeric = 0;
  double max_abs_error = 0;  // largest |analytic - numeric| over the whole Jacobian
  std::string message;

  explicit operator bool() const { return passed; }
};

using TensorFunction = std::function<Tensor(const std::vector<Tensor>&)>;

/// Compares every entry of the Jacobian of f at `inputs` (the inputs that require grad) computed by
/// backward with central differences (f(x + eps) - f(x - eps)) / (2 eps). An entry passes when
/// |analytic - numeric| <= atol + rtol |numeric|. Inputs and output must be float64; throws
/// std::invalid_argument otherwise, or when no input requires grad.
GradcheckResult gradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                          double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3);

/// Checks second derivatives: runs gradcheck on the map (inputs, v) -> vector-Jacobian product of
/// f with a fixed random v, computed with create_graph. Catches backward formulas that are right
/// in value but not differentiable in the way autograd needs for Hessian-vector products.
GradcheckResult gradgradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                              double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3);

}  // namespace xgrad

// clip_grad_norm_: one pass to measure the gradients' joint norm, one to scale them in place.
#include "nn/optim/clip.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/tape.hpp"
#include "nn/optim/detail.hpp"

namespace xgrad::optim {

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm) {
  // The norm is read on the host and the gradients scaled by plain writes: nothing a captured
  // step could repeat.
  if (xgrad::detail::active_tape) xgrad::detail::capture_unsupported("clip_grad_norm_");
  if (!(max_norm >= 0)) {
    throw std::invalid_argument("clip_grad_norm_: max_norm must be >= 0, got " +
                                format_number(max_norm));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    // A parameter stepped inside backward stores no gradient: the norm would be 0 and nothing
    // clipped, silently.
    if (params[i].defined() && params[i].backward_step()) {
      throw std::runtime_error("clip_grad_norm_: parameter " + std::to_string(i) +
                               " takes its optimizer's step inside backward (fuse_into_backward), "
                               "which stores no gradient to clip; call fuse_into_backward(false) "
                               "to clip gradients");
    }
  }
  no_grad guard;
  // norm = sqrt(sum over every gradient entry of g^2), accumulated in double for float32 too
  double square_sum = 0;
  for (const Tensor& p : params) {
    if (!p.defined()) continue;
    const Tensor grad = p.grad();
    if (!grad.defined()) continue;
    dispatch(grad.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* g = grad.data<T>().data();
      for (std::size_t j = 0, n = grad.numel(); j < n; ++j) {
        square_sum += static_cast<double>(g[j]) * static_cast<double>(g[j]);
      }
    });
  }
  const double norm = std::sqrt(square_sum);
  if (!std::isfinite(norm)) {
    throw std::runtime_error("clip_grad_norm_: the total norm of the gradients is " +
                             format_number(norm) +
                             ", so they cannot be clipped (a NaN or infinite loss upstream?)");
  }
  // PyTorch's rule: scale by min(1, max_norm / (norm + 1e-6)).
  const double scale = max_norm / (norm + 1e-6);
  if (scale >= 1) return norm;
  for (const Tensor& p : params) {
    if (!p.defined()) continue;
    Tensor grad = p.grad();
    if (!grad.defined()) continue;
    dispatch(grad.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* g = grad.data<T>().data();
      const T s = static_cast<T>(scale);
      for (std::size_t j = 0, n = grad.numel(); j < n; ++j) g[j] *= s;
    });
  }
  return norm;
}

}  // namespace xgrad::optim

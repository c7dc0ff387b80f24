// Elementwise arithmetic and math: NumPy broadcasting between tensors, scalars on either side.
// Every op here is differentiable; binary gradients are summed back to each input's shape.
// Binary ops throw std::invalid_argument for a dtype mismatch ("add: dtype mismatch: float32 and
// float64") or shapes that do not broadcast ("add: cannot broadcast (2, 3) with (4, 3)").
#pragma once

#include <limits>

#include "autograd/tensor.hpp"

namespace xgrad {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);

/// x + s and x * s for a scalar s (in the tensor's dtype).
Tensor add(const Tensor& x, double s);
Tensor mul(const Tensor& x, double s);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& x, double s);
Tensor operator+(double s, const Tensor& x);
Tensor operator-(const Tensor& x, double s);
Tensor operator-(double s, const Tensor& x);
Tensor operator*(const Tensor& x, double s);
Tensor operator*(double s, const Tensor& x);
Tensor operator/(const Tensor& x, double s);
Tensor operator/(double s, const Tensor& x);

/// x ** exponent elementwise; gradient exponent * x ** (exponent - 1).
Tensor pow(const Tensor& x, double exponent);
/// base ** exponent with broadcasting; the exponent's gradient needs base > 0 (log(base)).
Tensor pow(const Tensor& base, const Tensor& exponent);
Tensor exp(const Tensor& x);
/// Natural logarithm; log(0) = -inf and log of a negative value is NaN, as in NumPy.
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
/// |x|; the gradient at 0 is 0.
Tensor abs(const Tensor& x);
/// Limits x to [min, max]; the gradient is 1 inside (bounds included) and 0 outside. Throws
/// std::invalid_argument if min > max or either is NaN.
Tensor clamp(const Tensor& x, double min, double max = std::numeric_limits<double>::infinity());
/// Elementwise minimum / maximum with broadcasting; at ties each input gets half the gradient.
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);

/// -1, 0 or 1 by the sign of x (NaN stays NaN); the gradient is 0 everywhere, as torch's.
Tensor sign(const Tensor& x);

}  // namespace xgrad

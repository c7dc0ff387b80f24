// dropout: a constant mask of 0 and 1 / (1 - p) multiplied in, so mul's backward masks the
// gradient and needs no backward of its own.
#include "autograd/ops/dropout.hpp"

#include <stdexcept>

#include "autograd/factory.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/kernels.hpp"

namespace xgrad {

Tensor dropout(const Tensor& x, double p, bool training, Generator& generator) {
  kernels::check_defined("dropout", x);
  if (!(p >= 0 && p <= 1)) {
    throw std::invalid_argument("dropout: p must be in [0, 1], got " + format_number(p));
  }
  if (!training || p == 0) return x;
  if (p == 1) return mul(x, 0.0);
  const double scale = 1.0 / (1.0 - p);
  Tensor mask = rand(x.shape(), generator, x.dtype());
  dispatch(mask.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* m = kernels::values<T>(mask);
    for (std::size_t i = 0, n = mask.numel(); i < n; ++i) {
      m[i] = m[i] >= p ? static_cast<T>(scale) : T(0);
    }
  });
  return mul(x, mask);
}

Tensor dropout(const Tensor& x, double p, bool training) {
  return dropout(x, p, training, default_generator());
}

}  // namespace xgrad

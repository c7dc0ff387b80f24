// nn::Dropout: a constant random mask, so the gradient is masked the same way.
#include "nn/dropout.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "autograd/factory.hpp"
#include "autograd/ops.hpp"

namespace xgrad::nn {

Dropout::Dropout(double p, Generator& generator) : p_(p), generator_(&generator) {
  if (!(p >= 0 && p <= 1)) {
    throw std::invalid_argument("Dropout: p must be in [0, 1], got " + std::to_string(p));
  }
}

Tensor Dropout::forward(const Tensor& x) {
  if (!x.defined()) throw std::invalid_argument("Dropout: input is undefined");
  if (!is_training() || p_ == 0) return x;
  if (p_ == 1) return x * 0.0;
  const double scale = 1.0 / (1.0 - p_);
  Tensor mask = rand(x.shape(), *generator_, x.dtype());
  dispatch(mask.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (T& v : mask.data<T>()) v = v >= p_ ? static_cast<T>(scale) : T(0);
  });
  return x * mask;
}

std::string Dropout::extra_repr() const {
  std::ostringstream out;
  out << "p=" << p_;
  return out.str();
}

}  // namespace xgrad::nn

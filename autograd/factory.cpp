// Tensor factories. Random values are drawn in float64 and rounded once to the tensor's dtype.
#include "autograd/factory.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace xgrad {

namespace {

// A tensor of `shape` whose element i is fill(i); `op` names the factory in errors.
template <class Fill>
Tensor make(const char* op, const Shape& shape, Dtype dtype, bool requires_grad, Fill fill) {
  checked_numel(op, shape);  // before xtensor allocates for a product that may have wrapped
  return dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    Tensor t = detail::empty_tensor<T>(shape);
    T* out = t.data<T>().data();
    for (std::size_t i = 0, n = t.numel(); i < n; ++i) out[i] = static_cast<T>(fill(i));
    t.impl()->requires_grad = requires_grad;
    return t;
  });
}

}  // namespace

Tensor full(const Shape& shape, double value, Dtype dtype, bool requires_grad) {
  return make("full", shape, dtype, requires_grad, [value](std::size_t) { return value; });
}
Tensor zeros(const Shape& shape, Dtype dtype, bool requires_grad) {
  return make("zeros", shape, dtype, requires_grad, [](std::size_t) { return 0.0; });
}
Tensor ones(const Shape& shape, Dtype dtype, bool requires_grad) {
  return make("ones", shape, dtype, requires_grad, [](std::size_t) { return 1.0; });
}
Tensor zeros_like(const Tensor& like) {
  return zeros(like.shape(), like.dtype());
}
Tensor ones_like(const Tensor& like) {
  return ones(like.shape(), like.dtype());
}
Tensor scalar_tensor(double value, Dtype dtype, bool requires_grad) {
  return full({}, value, dtype, requires_grad);
}

Tensor arange(double start, double stop, double step, Dtype dtype) {
  if (step == 0 || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(stop)) {
    throw std::invalid_argument("arange: need finite start, stop and a non-zero step; got start " +
                                format_number(start) + ", stop " + format_number(stop) + ", step " +
                                format_number(step));
  }
  const double count = std::ceil((stop - start) / step);
  // Converting a count of 2^64 or more (or infinity) to size_t is undefined behaviour.
  if (!(count < 18446744073709551616.0)) {
    throw std::invalid_argument("arange: start " + format_number(start) + ", stop " +
                                format_number(stop) + ", step " + format_number(step) + " give " +
                                format_number(count) + " elements, more than fit in memory");
  }
  const std::size_t n = count > 0 ? static_cast<std::size_t>(count) : 0;
  return make("arange", {n}, dtype, false, [&](std::size_t i) { return start + step * i; });
}

Tensor eye(std::size_t n, Dtype dtype) {
  return make("eye", {n, n}, dtype, false,
              [n](std::size_t i) { return i / n == i % n ? 1.0 : 0.0; });
}

Tensor rand(const Shape& shape, Generator& generator, Dtype dtype) {
  return make("rand", shape, dtype, false, [&](std::size_t) { return generator.uniform(); });
}
Tensor rand(const Shape& shape, Dtype dtype) {
  return rand(shape, default_generator(), dtype);
}

Tensor randn(const Shape& shape, Generator& generator, Dtype dtype) {
  return make("randn", shape, dtype, false, [&](std::size_t) { return generator.normal(); });
}
Tensor randn(const Shape& shape, Dtype dtype) {
  return randn(shape, default_generator(), dtype);
}

Tensor uniform(const Shape& shape, double low, double high, Generator& generator, Dtype dtype) {
  if (!(low < high) || !std::isfinite(low) || !std::isfinite(high)) {
    throw std::invalid_argument("uniform: need finite low < high; got low " + format_number(low) +
                                ", high " + format_number(high));
  }
  return make("uniform", shape, dtype, false,
              [&](std::size_t) { return generator.uniform(low, high); });
}

}  // namespace xgrad

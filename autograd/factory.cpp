// Tensor factories. Random values are drawn in float64 and rounded once to the tensor's dtype.
#include "autograd/factory.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include <xtensor/xstrides.hpp>

#include "autograd/ops/kernels.hpp"
#include "autograd/storage.hpp"

namespace xgrad {

namespace {

// A tensor of `shape` whose element i is fill(i); `op` names the factory in errors.
template <class Fill>
Tensor make(const char* op, const Shape& shape, Dtype dtype, bool requires_grad, Fill fill) {
  checked_numel(op, shape);  // before xtensor allocates for a product that may have wrapped
  if (requires_grad && !is_floating_point(dtype)) {
    throw std::invalid_argument(std::string(op) +
                                ": only floating-point tensors can require gradients; asked for " +
                                dtype_name(dtype));
  }
  return dispatch_any(dtype, [&](auto tag) {
    using T = decltype(tag);
    Tensor t = detail::empty_tensor<T>(shape);
    T* out = t.data<T>().data();
    for (std::size_t i = 0, n = t.numel(); i < n; ++i) {
      out[i] = kernels::convert_value<T>(op, fill(i));
    }
    t.impl()->requires_grad = requires_grad;
    return t;
  });
}

// make() of one value everywhere. In a capture it is recorded as a fill: a tensor made during the
// step may be written in place later in it (a gradient buffer accumulating), so replay refills it.
Tensor constant(const char* op, const Shape& shape, double value, Dtype dtype, bool requires_grad) {
  Tensor t = make(op, shape, dtype, requires_grad, [value](std::size_t) { return value; });
  if (detail::active_tape) {
    dispatch_any(dtype, [&](auto tag) {
      using T = decltype(tag);
      const T v = kernels::convert_value<T>(op, value);
      detail::record_kernel(op, {}, {&t}, [v, n = t.numel(), storage = t.impl()->storage.get()] {
        std::fill_n(detail::replay_values<T>(*storage, n), n, v);
      });
    });
  }
  return t;
}

void check_random_dtype(const char* op, Dtype dtype) {
  if (!is_floating_point(dtype)) {
    throw std::invalid_argument(std::string(op) + ": draws floating-point values; " +
                                dtype_name(dtype) + " is not float32 or float64");
  }
}

template <class T>
Tensor from_values(const std::vector<T>& values, const Shape& shape, Dtype dtype) {
  const std::size_t n = checked_numel("from_vector", shape);
  if (n != values.size()) {
    throw std::invalid_argument("from_vector: " + std::to_string(values.size()) +
                                " values do not fill shape " + format_shape(shape) + " (" +
                                std::to_string(n) + " elements)");
  }
  return make("from_vector", shape, dtype, false, [&](std::size_t i) { return values[i]; });
}

}  // namespace

Tensor full(const Shape& shape, double value, Dtype dtype, bool requires_grad) {
  return constant("full", shape, value, dtype, requires_grad);
}
Tensor zeros(const Shape& shape, Dtype dtype, bool requires_grad) {
  return constant("zeros", shape, 0.0, dtype, requires_grad);
}
Tensor ones(const Shape& shape, Dtype dtype, bool requires_grad) {
  return constant("ones", shape, 1.0, dtype, requires_grad);
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

Tensor from_vector(const std::vector<float>& values, const Shape& shape, Dtype dtype) {
  return from_values(values, shape, dtype);
}
Tensor from_vector(const std::vector<double>& values, const Shape& shape, Dtype dtype) {
  return from_values(values, shape, dtype);
}
Tensor from_vector(const std::vector<std::int64_t>& values, const Shape& shape, Dtype dtype) {
  return from_values(values, shape, dtype);
}
Tensor from_vector(const std::vector<bool>& values, const Shape& shape, Dtype dtype) {
  return from_values(values, shape, dtype);
}

Tensor from_blob(void* data, const Shape& shape, std::function<void(void*)> deleter, Dtype dtype) {
  const std::size_t n = checked_numel("from_blob", shape);
  if (n == 0) {
    if (deleter) deleter(data);
    return zeros(shape, dtype);
  }
  if (!data) {
    throw std::invalid_argument("from_blob: data is null for shape " + format_shape(shape) + " (" +
                                std::to_string(n) + " elements)");
  }
  return dispatch_any(dtype, [&](auto tag) {
    using T = decltype(tag);
    if (reinterpret_cast<std::uintptr_t>(data) % alignof(T) != 0) {
      std::ostringstream message;
      message << "from_blob: data " << data << " is not aligned for " << dtype_name(dtype)
              << " (its address must be a multiple of " << alignof(T) << ")";
      throw std::invalid_argument(message.str());
    }
    typename TensorValues<T>::shape_type extents(shape.begin(), shape.end());
    typename TensorValues<T>::strides_type strides(extents.size());
    xt::compute_strides(extents, xt::layout_type::row_major, strides);
    // From here the buffer is the values': if making them fails, it is given back as they die.
    detail::lend(data, std::move(deleter));
    typename TensorValues<T>::storage_type buffer(n,
                                                  detail::ValueAllocator<T>(static_cast<T*>(data)));
    return Tensor(TensorValues<T>(std::move(buffer), std::move(extents), std::move(strides)));
  });
}

Tensor from_blob(void* data, const Shape& shape, Dtype dtype) {
  return from_blob(data, shape, {}, dtype);
}

Tensor rand(const Shape& shape, Generator& generator, Dtype dtype) {
  check_random_dtype("rand", dtype);
  return make("rand", shape, dtype, false, [&](std::size_t) { return generator.uniform(); });
}
Tensor rand(const Shape& shape, Dtype dtype) {
  return rand(shape, default_generator(), dtype);
}

Tensor randn(const Shape& shape, Generator& generator, Dtype dtype) {
  check_random_dtype("randn", dtype);
  return make("randn", shape, dtype, false, [&](std::size_t) { return generator.normal(); });
}
Tensor randn(const Shape& shape, Dtype dtype) {
  return randn(shape, default_generator(), dtype);
}

Tensor uniform(const Shape& shape, double low, double high, Generator& generator, Dtype dtype) {
  check_random_dtype("uniform", dtype);
  if (!(low < high) || !std::isfinite(low) || !std::isfinite(high)) {
    throw std::invalid_argument("uniform: need finite low < high; got low " + format_number(low) +
                                ", high " + format_number(high));
  }
  return make("uniform", shape, dtype, false,
              [&](std::size_t) { return generator.uniform(low, high); });
}

}  // namespace xgrad

// Tensor factories: constants, ranges, identity, and random tensors from a seedable Generator.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "autograd/dtype.hpp"
#include "autograd/random.hpp"
#include "autograd/shape.hpp"
#include "autograd/tensor.hpp"

namespace xgrad {

/// Constants of any dtype; requires_grad only for float32 and float64 (std::invalid_argument
/// otherwise), and a value that does not fit an int64 tensor throws std::invalid_argument.
Tensor zeros(const Shape& shape, Dtype dtype = float32, bool requires_grad = false);
Tensor ones(const Shape& shape, Dtype dtype = float32, bool requires_grad = false);
Tensor full(const Shape& shape, double value, Dtype dtype = float32, bool requires_grad = false);
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
/// A 0-dimensional tensor holding one value.
Tensor scalar_tensor(double value, Dtype dtype = float32, bool requires_grad = false);
/// Values start, start + step, ... below stop (above it for a negative step), as numpy.arange.
/// Throws std::invalid_argument for a zero step.
Tensor arange(double start, double stop, double step = 1.0, Dtype dtype = float32);
/// A tensor of `shape` holding a copy of `values` (row-major), converted to `dtype` as to()
/// converts. Throws std::invalid_argument when the count does not fill the shape:
///   from_vector(std::vector<std::int64_t>{2, 0, 1}, {3}, int64)   // class labels
Tensor from_vector(const std::vector<float>& values, const Shape& shape, Dtype dtype = float32);
Tensor from_vector(const std::vector<double>& values, const Shape& shape, Dtype dtype = float64);
Tensor from_vector(const std::vector<std::int64_t>& values, const Shape& shape,
                   Dtype dtype = int64);
Tensor from_vector(const std::vector<bool>& values, const Shape& shape, Dtype dtype = boolean);
/// A tensor whose values are the caller's memory at `data`, not a copy (torch::from_blob): `shape`
/// values of `dtype`, row-major, at an address aligned for the dtype (bool: bytes 0 or 1). Writes
/// through the tensor (in-place ops, data()) change that memory and changes to it are what the
/// tensor reads. The memory must stay valid while any tensor shares these values: the tensor, its
/// detach()ed copies, graphs that saved it; when the last of them dies, `deleter` (if
/// given) is called with `data`, at once for a shape with no elements. Ops make new tensors as
/// usual; only the values of this one live in the caller's memory.
///   std::vector<float> pixels = load();
///   Tensor image = from_blob(pixels.data(), {28, 28});   // pixels must outlive image
/// Throws std::invalid_argument for a null or misaligned `data`.
Tensor from_blob(void* data, const Shape& shape, Dtype dtype = float32);
Tensor from_blob(void* data, const Shape& shape, std::function<void(void*)> deleter,
                 Dtype dtype = float32);
/// The n x n identity matrix.
Tensor eye(std::size_t n, Dtype dtype = float32);
/// Random factories make float32 or float64 tensors (std::invalid_argument otherwise).
/// Uniform in [0, 1), drawn in row-major order from `generator` (the default one if omitted).
Tensor rand(const Shape& shape, Generator& generator, Dtype dtype = float32);
Tensor rand(const Shape& shape, Dtype dtype = float32);
/// Standard normal, drawn in row-major order.
Tensor randn(const Shape& shape, Generator& generator, Dtype dtype = float32);
Tensor randn(const Shape& shape, Dtype dtype = float32);
/// Uniform in [low, high). Throws std::invalid_argument unless low < high and both are finite.
Tensor uniform(const Shape& shape, double low, double high, Generator& generator,
               Dtype dtype = float32);

}  // namespace xgrad

// Tensor factories: constants, ranges, identity, and random tensors from a seedable Generator.
#pragma once

#include "autograd/dtype.hpp"
#include "autograd/random.hpp"
#include "autograd/shape.hpp"
#include "autograd/tensor.hpp"

namespace xgrad {

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
/// The n x n identity matrix.
Tensor eye(std::size_t n, Dtype dtype = float32);
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

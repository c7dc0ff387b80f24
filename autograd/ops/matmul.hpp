// Matrix products through BLAS: gemm for matrix x matrix, gemv for matrix x vector.
#pragma once

#include "autograd/tensor.hpp"

namespace xgrad {

/// a @ b for (m, k) x (k, n) -> (m, n), (m, k) x (k,) -> (m,), (k,) x (k, n) -> (n,), and
/// (k,) x (k,) -> () . Throws std::invalid_argument
/// "matmul: inner dimensions differ: a is (3, 4), b is (5, 2)" and for other ranks.
Tensor matmul(const Tensor& a, const Tensor& b);
/// op(a) @ op(b) where op transposes when its flag is set: one BLAS call on the untransposed
/// data, no transposed copy. Both tensors must be 2-D.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b);

}  // namespace xgrad

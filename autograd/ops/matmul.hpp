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

/// input + mat1 @ mat2 for mat1 (m, k), mat2 (k, n) and an input that broadcasts to (m, n) (a bias
/// (n,), say), as torch.addmm: the product is accumulated onto the broadcast input by the gemm
/// itself (beta = 1), with no separate add. Throws std::invalid_argument for other ranks, inner
/// dimensions that differ, or an input that does not broadcast to the product.
Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2);

/// x @ weight^T + bias for x (N, in) or (in,), weight (out, in) and bias (out,) or undefined, as
/// torch.nn.functional.linear: one gemm with a transpose flag, accumulating onto the bias.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace xgrad

// Matrix products through BLAS: gemm for matrix x matrix, gemv for matrix x vector, one call per
// batch entry for stacks of matrices.
#pragma once

#include "autograd/tensor.hpp"

namespace xgrad {

/// a @ b as torch.matmul: (m, k) x (k, n) -> (m, n), (m, k) x (k,) -> (m,), (k,) x (k, n) -> (n,),
/// (k,) x (k,) -> (); for N-D operands, stacks of matrices in the last two axes whose leading
/// (batch) axes broadcast, (2, 1, m, k) x (3, k, n) -> (2, 3, m, n), a 1-D operand being a row (a)
/// or column (b) whose axis is removed from the result. One BLAS call per batch entry (one in all
/// when b is a single matrix); gradients are summed over broadcast batch axes. Throws
/// std::invalid_argument "matmul: inner dimensions differ: a is (3, 4), b is (5, 2)", "matmul:
/// batch dimensions do not broadcast: a is (2, 3, 4), b is (5, 4, 2)" and for a 0-D operand.
Tensor matmul(const Tensor& a, const Tensor& b);
/// op(a) @ op(b) where op transposes (the last two axes) when its flag is set: one BLAS call per
/// matrix on the untransposed data, no transposed copy. Both tensors must have rank 2 or more;
/// batch axes broadcast as in matmul.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b);
/// Batched product of (B, m, k) and (B, k, n) -> (B, m, n), as torch.bmm (no broadcasting).
/// Throws std::invalid_argument for other ranks, differing batch sizes or inner dimensions.
Tensor bmm(const Tensor& a, const Tensor& b);

/// input + mat1 @ mat2 for mat1 (m, k), mat2 (k, n) and an input that broadcasts to (m, n) (a bias
/// (n,), say), as torch.addmm: the product is accumulated onto the broadcast input by the gemm
/// itself (beta = 1), with no separate add. Throws std::invalid_argument for other ranks, inner
/// dimensions that differ, or an input that does not broadcast to the product.
Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2);

/// x @ weight^T + bias for x (N, in) or (in,), weight (out, in) and bias (out,) or undefined, as
/// torch.nn.functional.linear: one gemm with a transpose flag, accumulating onto the bias.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace xgrad

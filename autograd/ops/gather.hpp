// Ops that read or add values at positions given by an int64 tensor: gather, scatter_add,
// index_add and embedding, with PyTorch's names and meaning. Each one's backward is the other half
// of a gather/scatter-add pair, itself differentiable, so gradients of gradients work.
#pragma once

#include <cstdint>
#include <optional>

#include "autograd/tensor.hpp"

namespace xgrad {

/// out[i][j][k] = input[index[i][j][k]][j][k] for dim 0 (and likewise for other dims), as
/// torch.gather: `index` is int64 of input's rank, no larger than input along every dim but `dim`,
/// and the output has index's shape. `dim` may be negative. Any dtype of input; differentiable in
/// input. Throws std::invalid_argument "gather: index must be int64, got float32", or when ranks or
/// shapes do not fit; std::out_of_range "gather: index 5 out of range for dim 1 of extent 3
/// (position 4)" (the flat position in index) for an index outside [0, extent).
Tensor gather(const Tensor& input, long dim, const Tensor& index);

/// A copy of input with src's values added at the positions index names along `dim`:
/// out[index[i][j]][j] += src[i][j] for dim 0, as torch.Tensor.scatter_add (out of place; repeated
/// indices add up). index, src and input have one rank; index is no larger than src along any dim
/// and no larger than input except along `dim` (only src's leading index.shape part is read).
/// Differentiable in input and src. Throws as gather does (naming scatter_add), and
/// std::invalid_argument for a src of another dtype, rank or too small a shape.
Tensor scatter_add(const Tensor& input, long dim, const Tensor& index, const Tensor& src);

/// A copy of input with alpha * source's slices added at the entries `index` names along `dim`,
/// as torch.index_add: index is a 1-D (or 0-d) int64 tensor; source is input's shape with `dim`
/// of extent index.numel(). Repeated indices add up; a negative index counts from the end, as in
/// index_select (PyTorch refuses it). Differentiable in input and source. Throws
/// std::invalid_argument for a bad index dtype or rank or a source of the wrong shape or dtype,
/// std::out_of_range "index_add: index 4 out of range for dim 0 of extent 3 (position 1)".
Tensor index_add(const Tensor& input, long dim, const Tensor& index, const Tensor& source,
                 double alpha = 1.0);

/// The rows of `weight` (num_embeddings, embedding_dim) picked by `indices`, an int64 tensor of
/// any shape: the output is indices.shape + (embedding_dim,), as torch.nn.functional.embedding.
/// The gradient adds each output row back into the row it came from (repeats sum); the row
/// `padding_idx` (negative counts from the end) gets no gradient. Throws std::invalid_argument for
/// a weight that is not a 2-D float tensor, indices that are not int64 ("embedding: indices must be
/// int64, got float32") or a padding_idx outside [-num_embeddings, num_embeddings);
/// std::out_of_range "embedding: index 12 out of range for 10 embeddings (position 3)".
Tensor embedding(const Tensor& weight, const Tensor& indices,
                 std::optional<long> padding_idx = std::nullopt);

}  // namespace xgrad

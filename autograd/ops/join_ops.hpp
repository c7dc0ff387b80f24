// Ops that join, cut, pad, tile and mask tensors: stack, split, chunk, pad, repeat, tril and triu,
// with PyTorch's names and meaning. Axes are signed (negative counts from the end).
#pragma once

#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// Joins tensors of one shape along a new axis `axis` in [-dim - 1, dim], as torch.stack. Throws
/// std::invalid_argument "stack: tensor 1 has shape (2, 4), tensor 0 has (2, 3); all must have
/// the same shape", or for an empty list.
Tensor stack(const std::vector<Tensor>& tensors, long axis = 0);
/// Pieces of `split_size` entries along `axis` (the last may be smaller), as torch.split. Throws
/// std::invalid_argument unless split_size > 0.
std::vector<Tensor> split(const Tensor& x, long split_size, long axis = 0);
/// Pieces of the given sizes along `axis`. Throws std::invalid_argument "split: sizes (2, 2) add up
/// to 4, but axis 0 has extent 5".
std::vector<Tensor> split(const Tensor& x, const std::vector<long>& sizes, long axis = 0);
/// At most `chunks` pieces of ceil(extent / chunks) entries along `axis`, as torch.chunk. Throws
/// std::invalid_argument unless chunks > 0.
std::vector<Tensor> chunk(const Tensor& x, long chunks, long axis = 0);
/// x with `value` added around it, as torch.nn.functional.pad in constant mode: `pads` lists
/// (before, after) pairs starting from the LAST axis, (left, right, top, bottom, ...). Throws
/// std::invalid_argument for an odd-length list, more pairs than axes, or a negative pad.
Tensor pad(const Tensor& x, const std::vector<long>& pads, double value = 0.0);
/// x tiled `repeats[i]` times along each axis, as torch.Tensor.repeat; with more repeats than axes,
/// x gains leading axes of extent 1 first. Throws std::invalid_argument for fewer repeats than axes
/// or a negative count.
Tensor repeat(const Tensor& x, const std::vector<long>& repeats);
/// The lower (tril) or upper (triu) triangle of the matrices in the last two axes, the rest zero:
/// entries (i, j) with j - i <= diagonal (tril) or j - i >= diagonal (triu), as torch. Throws
/// std::invalid_argument for tensors of rank below 2.
Tensor tril(const Tensor& x, long diagonal = 0);
Tensor triu(const Tensor& x, long diagonal = 0);

}  // namespace xgrad

// Ops that rearrange a tensor's axes without changing its values: squeeze, unsqueeze, permute,
// expand and flatten, with PyTorch's names and meaning. Axes are signed (negative counts from the
// end). xgrad has no strided views: each returns a new tensor.
#pragma once

#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// Removes every axis of extent 1, as torch.squeeze.
Tensor squeeze(const Tensor& x);
/// Removes `axis` if its extent is 1 (otherwise returns x unchanged, as torch). Throws
/// std::out_of_range for a bad axis.
Tensor squeeze(const Tensor& x, long axis);
/// Inserts an axis of extent 1 at position `axis` in [-dim - 1, dim], as torch.unsqueeze. Throws
/// std::out_of_range otherwise.
Tensor unsqueeze(const Tensor& x, long axis);
/// Reorders the axes: output axis i is input axis dims[i]. Throws std::invalid_argument
/// "permute: (0, 0, 1) is not a permutation of the 3 axes of (2, 3, 4)".
Tensor permute(const Tensor& x, const std::vector<long>& dims);
/// x repeated along its extent-1 axes (and new leading axes) to `shape`, as torch.expand; -1 keeps
/// an existing extent. Throws std::invalid_argument "expand: cannot expand (2, 3) to (4, 3)".
Tensor expand(const Tensor& x, const std::vector<long>& shape);
/// Merges axes start..end (inclusive) into one, as torch.flatten; a scalar becomes (1,). Throws
/// std::out_of_range for a bad axis and std::invalid_argument when start comes after end.
Tensor flatten(const Tensor& x, long start = 0, long end = -1);

}  // namespace xgrad

// Ops that move values without arithmetic: reshape, transpose, concatenation, indexing, slicing,
// dtype conversion and copies.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// The same values in a new shape with the same number of elements; one extent may be -1 and is
/// then inferred. Throws std::invalid_argument "reshape: cannot reshape (2, 3) into (4, 2)".
Tensor reshape(const Tensor& x, std::initializer_list<long> shape);
Tensor reshape(const Tensor& x, const std::vector<long>& shape);
Tensor reshape(const Tensor& x, const Shape& shape);
/// The transpose of a 2-D tensor (a vector or scalar is returned as is).
Tensor transpose(const Tensor& x);
/// Swaps two axes.
Tensor transpose(const Tensor& x, long axis0, long axis1);
/// Joins tensors along an existing axis; all other extents and the dtype must agree.
Tensor concat(const std::vector<Tensor>& tensors, long axis = 0);
/// The entries at `indices` along `axis` (repeats allowed), as torch.index_select. Throws
/// std::out_of_range "index_select: index 7 out of range for axis 0 of extent 5".
Tensor index_select(const Tensor& x, long axis, const std::vector<std::size_t>& indices);
/// The same with a 1-D int64 tensor of indices; a negative index counts from the end. Throws
/// std::invalid_argument for indices of another dtype or rank.
Tensor index_select(const Tensor& x, long axis, const Tensor& indices);
/// The same with indices written in place: index_select(x, 0, {2, -1}).
Tensor index_select(const Tensor& x, long axis, std::initializer_list<long> indices);
/// x[start:stop:step] along `axis`, as Python slices it: negative bounds count from the end, an
/// omitted (nullopt) bound is the start or the end, bounds beyond the extent are clipped.
/// slice(x, 0, 1, -1) drops the first and last rows. Throws std::invalid_argument for a step
/// that is not positive (as PyTorch).
Tensor slice(const Tensor& x, long axis, std::optional<long> start = std::nullopt,
             std::optional<long> stop = std::nullopt, long step = 1);
/// Entry `index` of `axis`, with that axis removed: select(x, 0, i) is row i, select(x, 0, -1)
/// the last. Throws std::out_of_range naming the axis, index and extent.
Tensor select(const Tensor& x, long axis, long index);
/// `length` entries of `axis` from `start` (negative counts from the end), as torch.narrow.
/// Throws std::out_of_range when they do not fit in the extent.
Tensor narrow(const Tensor& x, long axis, long start, long length);
/// A copy in another dtype; the gradient is converted back. Identity if the dtype matches.
Tensor to(const Tensor& x, Dtype dtype);
/// A copy of the values that stays in the graph.
Tensor clone(const Tensor& x);

}  // namespace xgrad

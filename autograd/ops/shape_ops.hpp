// Ops that move values without arithmetic: reshape, transpose, concatenation, indexing, slicing,
// dtype conversion and copies.
#pragma once

#include <cstddef>
#include <initializer_list>
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
/// Entries start, start + step, ... below stop along `axis`; stop is clipped to the extent.
/// Throws std::invalid_argument for step 0 or start > extent.
Tensor slice(const Tensor& x, long axis, std::size_t start, std::size_t stop, std::size_t step = 1);
/// Entry `index` of `axis`, with that axis removed: select(x, 0, i) is row i.
Tensor select(const Tensor& x, long axis, std::size_t index);
/// A copy in another dtype; the gradient is converted back. Identity if the dtype matches.
Tensor to(const Tensor& x, Dtype dtype);
/// A copy of the values that stays in the graph.
Tensor clone(const Tensor& x);

}  // namespace xgrad

// Python-style indexing in one call, as libtorch's Tensor::index with its TensorIndexing:
// x.index({Slice(1, -1), 0}) is x[1:-1, 0].
#pragma once

#include <optional>
#include <variant>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

namespace indexing {

/// start:stop:step; omitted bounds are the start and the end, negative ones count from the end.
struct Slice {
  Slice(std::optional<long> start = std::nullopt, std::optional<long> stop = std::nullopt,
        long step = 1)
      : start(start), stop(stop), step(step) {}
  std::optional<long> start, stop;
  long step;
};

/// A new axis of extent 1 (Python's None).
struct NoneIndex {};
inline constexpr NoneIndex None{};

/// As many full slices as the other indices leave axes (Python's ...).
struct EllipsisIndex {};
inline constexpr EllipsisIndex Ellipsis{};

}  // namespace indexing

/// One entry of an index list: an integer (selects, removing the axis), a Slice, None, Ellipsis,
/// a bool mask tensor (keeps the entries where it is true, flattening the axes it covers) or an
/// int64 tensor (picks entries along the axis; its shape replaces the axis).
class TensorIndex {
 public:
  TensorIndex(long index) : value_(index) {}
  TensorIndex(int index) : value_(static_cast<long>(index)) {}
  TensorIndex(indexing::Slice slice) : value_(slice) {}
  TensorIndex(indexing::NoneIndex none) : value_(none) {}
  TensorIndex(indexing::EllipsisIndex ellipsis) : value_(ellipsis) {}
  TensorIndex(Tensor tensor) : value_(std::move(tensor)) {}

  using Value =
      std::variant<long, indexing::Slice, indexing::NoneIndex, indexing::EllipsisIndex, Tensor>;
  const Value& value() const { return value_; }

 private:
  Value value_;
};

/// x indexed as Python indexes it (see TensorIndex); differentiable in x. At most one Ellipsis and
/// one tensor index. Throws std::out_of_range for an index out of range (naming the axis, index and
/// extent), std::invalid_argument for too many indices, a float index tensor, or a mask whose
/// shape differs from the axes it covers.
Tensor index(const Tensor& x, const std::vector<TensorIndex>& indices);

}  // namespace xgrad

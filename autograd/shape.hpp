// Shapes: the Shape type, NumPy broadcasting rules, and the formatting of shapes and numbers for
// error messages.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include <xtensor/xstorage.hpp>

namespace xgrad {

using Shape = std::vector<std::size_t>;

/// Extents held inline up to rank 4: what graph nodes and backward closures keep, so recording an
/// op allocates no shape.
using InlineShape = xt::svector<std::size_t, 4>;

/// A read-only view of extents stored elsewhere (a Shape, an InlineShape, a tensor's own), as
/// PyTorch's IntArrayRef: passes a shape around without building one. Valid while what it views
/// is unchanged.
class ShapeRef {
 public:
  ShapeRef(const Shape& shape) : data_(shape.data()), size_(shape.size()) {}
  ShapeRef(const InlineShape& shape) : data_(shape.data()), size_(shape.size()) {}

  const std::size_t* begin() const { return data_; }
  const std::size_t* end() const { return data_ + size_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t operator[](std::size_t axis) const { return data_[axis]; }
  /// A copy that owns its extents.
  Shape vec() const { return Shape(begin(), end()); }
  InlineShape inline_copy() const { return InlineShape(begin(), end()); }

 private:
  const std::size_t* data_;
  std::size_t size_;
};

// A plain loop: std::equal on size_t becomes a call to memcmp, for a handful of extents compared
// on every op (3% of op_overhead).
inline bool operator==(ShapeRef a, ShapeRef b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}
inline bool operator!=(ShapeRef a, ShapeRef b) {
  return !(a == b);
}

/// "(3, 4)"; "()" for a scalar; "(5,)" for a vector, as Python prints a tuple.
std::string format_shape(const Shape& shape);
std::string format_shape(ShapeRef shape);

/// A number as an error message shows it: the shortest form ("0.1", "2", "1e-08", "nan").
std::string format_number(double value);

/// The number of elements of a shape: the product of its extents (1 for a scalar).
std::size_t shape_numel(ShapeRef shape);
/// shape_numel of a shape a caller asked for, checked: throws std::invalid_argument "<op>: shape
/// (4, 4611686018427387904) has more elements than fit in memory" when the product of its non-zero
/// extents passes PTRDIFF_MAX, where xtensor's strides overflow and its element count wraps to a
/// small buffer behind a huge shape.
std::size_t checked_numel(const char* op, const Shape& shape);

/// The NumPy broadcast of two shapes. Throws std::invalid_argument
/// "<op>: cannot broadcast (2, 3) with (4, 3)".
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

/// Resolves a possibly negative axis (-1 is the last) against a rank. Throws std::out_of_range
/// "<op>: axis 3 out of range for a tensor of shape (2, 3)".
std::size_t normalize_axis(const char* op, long axis, ShapeRef shape);

/// Resolves and sorts a list of axes; an empty list means every axis. Throws std::out_of_range for
/// an axis out of range and std::invalid_argument for a repeated one.
std::vector<std::size_t> normalize_axes(const char* op, const std::vector<long>& axes,
                                        const Shape& shape);

}  // namespace xgrad

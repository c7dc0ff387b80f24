// Shapes: the Shape type, NumPy broadcasting rules, and the formatting of shapes and numbers for
// error messages.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace xgrad {

using Shape = std::vector<std::size_t>;

/// "(3, 4)"; "()" for a scalar; "(5,)" for a vector, as Python prints a tuple.
std::string format_shape(const Shape& shape);

/// A number as an error message shows it: the shortest form ("0.1", "2", "1e-08", "nan").
std::string format_number(double value);

/// The number of elements of a shape: the product of its extents (1 for a scalar).
std::size_t shape_numel(const Shape& shape);

/// The NumPy broadcast of two shapes. Throws std::invalid_argument
/// "<op>: cannot broadcast (2, 3) with (4, 3)".
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

/// Resolves a possibly negative axis (-1 is the last) against a rank. Throws std::out_of_range
/// "<op>: axis 3 out of range for a tensor of shape (2, 3)".
std::size_t normalize_axis(const char* op, long axis, const Shape& shape);

/// Resolves and sorts a list of axes; an empty list means every axis. Throws std::out_of_range for
/// an axis out of range and std::invalid_argument for a repeated one.
std::vector<std::size_t> normalize_axes(const char* op, const std::vector<long>& axes,
                                        const Shape& shape);

}  // namespace xgrad

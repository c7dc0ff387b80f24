// Shapes: formatting, element counts, broadcasting and axis resolution.
#include "autograd/shape.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace xgrad {

std::string format_shape(const Shape& shape) {
  return format_shape(ShapeRef(shape));
}

std::string format_shape(ShapeRef shape) {
  std::ostringstream out;
  out << '(';
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out << ", ";
    out << shape[i];
  }
  if (shape.size() == 1) out << ',';
  out << ')';
  return out.str();
}

std::string format_number(double value) {
  // The fewest digits (6 at least) that read back as the same value, so 1.0000001 is not shown as
  // 1; a value that is exactly a float32 is read back as one, so 0.3f is "0.3".
  const bool is_float = static_cast<double>(static_cast<float>(value)) == value;
  std::string text;
  for (int digits = 6; digits <= 17; ++digits) {
    std::ostringstream out;
    out.precision(digits);
    out << value;
    text = out.str();
    if (!std::isfinite(value)) break;
    const double back = std::strtod(text.c_str(), nullptr);
    if (is_float ? static_cast<float>(back) == static_cast<float>(value) : back == value) break;
  }
  return text;
}

std::size_t shape_numel(ShapeRef shape) {
  std::size_t n = 1;
  for (std::size_t extent : shape) n *= extent;
  return n;
}

std::size_t checked_numel(const char* op, const Shape& shape) {
  // xtensor's strides are products of extents in a signed long, zero extents or not.
  std::ptrdiff_t product = 1;
  bool empty = false;
  for (std::size_t extent : shape) {
    if (extent == 0) {
      empty = true;
    } else if (extent > static_cast<std::size_t>(PTRDIFF_MAX) ||
               __builtin_mul_overflow(product, static_cast<std::ptrdiff_t>(extent), &product)) {
      throw std::invalid_argument(std::string(op) + ": shape " + format_shape(shape) +
                                  " has more elements than fit in memory");
    }
  }
  return empty ? 0 : static_cast<std::size_t>(product);
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  if (a == b) return a;
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  // Align trailing axes; a missing leading axis behaves as extent 1.
  for (std::size_t i = 0; i < rank; ++i) {
    const std::size_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::size_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw std::invalid_argument(std::string(op) + ": cannot broadcast " + format_shape(a) +
                                  " with " + format_shape(b));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::size_t normalize_axis(const char* op, long axis, ShapeRef shape) {
  const long rank = static_cast<long>(shape.size());
  const long resolved = axis < 0 ? axis + rank : axis;
  if (resolved < 0 || resolved >= rank) {
    throw std::out_of_range(std::string(op) + ": axis " + std::to_string(axis) +
                            " out of range for a tensor of shape " + format_shape(shape));
  }
  return static_cast<std::size_t>(resolved);
}

std::vector<std::size_t> normalize_axes(const char* op, const std::vector<long>& axes,
                                        const Shape& shape) {
  std::vector<std::size_t> out;
  if (axes.empty()) {
    for (std::size_t i = 0; i < shape.size(); ++i) out.push_back(i);
    return out;
  }
  for (long axis : axes) out.push_back(normalize_axis(op, axis, shape));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) {
    throw std::invalid_argument(std::string(op) + ": axis listed twice for a tensor of shape " +
                                format_shape(shape));
  }
  return out;
}

}  // namespace xgrad

// nn::Unflatten: a checked reshape of one axis.
#include "nn/unflatten.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops.hpp"

namespace xgrad::nn {

Unflatten::Unflatten(long dim, std::vector<std::size_t> unflattened_size)
    : dim_(dim), sizes_(std::move(unflattened_size)) {
  bool empty = sizes_.empty();
  for (std::size_t s : sizes_) empty = empty || s == 0;
  if (empty) {
    throw std::invalid_argument("Unflatten: unflattened_size " + format_shape(Shape(sizes_)) +
                                " must be non-empty with positive extents");
  }
}

Tensor Unflatten::forward(const Tensor& x) {
  if (!x.defined()) throw std::invalid_argument("Unflatten: input is undefined");
  const Shape s = x.shape();
  const long rank = static_cast<long>(s.size());
  const long axis = dim_ < 0 ? dim_ + rank : dim_;
  if (axis < 0 || axis >= rank) {
    throw std::invalid_argument("Unflatten: dim " + std::to_string(dim_) +
                                " out of range for input " + format_shape(s));
  }
  std::size_t product = 1;
  for (std::size_t v : sizes_) product *= v;
  if (product != s[static_cast<std::size_t>(axis)]) {
    throw std::invalid_argument("Unflatten: input " + format_shape(s) + " has extent " +
                                std::to_string(s[static_cast<std::size_t>(axis)]) + " along dim " +
                                std::to_string(dim_) + ", unflattened_size " +
                                format_shape(Shape(sizes_)) + " holds " + std::to_string(product));
  }
  Shape out(s.begin(), s.begin() + axis);
  out.insert(out.end(), sizes_.begin(), sizes_.end());
  out.insert(out.end(), s.begin() + axis + 1, s.end());
  return reshape(x, out);
}

std::string Unflatten::extra_repr() const {
  return "dim=" + std::to_string(dim_) + ", unflattened_size=" + format_shape(Shape(sizes_));
}

}  // namespace xgrad::nn

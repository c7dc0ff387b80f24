// squeeze, unsqueeze, expand and flatten are reshapes and broadcasts (they need no backward of
// their own); permute is one strided copy whose backward is the inverse permutation.
#include "autograd/ops/view_ops.hpp"

#include <stdexcept>
#include <string>

#include "autograd/node.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/reduction.hpp"
#include "autograd/ops/shape_ops.hpp"

namespace xgrad {

namespace {

std::string format_list(const std::vector<long>& values) {
  std::string s = "(";
  for (std::size_t i = 0; i < values.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(values[i]);
  }
  return s + (values.size() == 1 ? ",)" : ")");
}

}  // namespace

Tensor squeeze(const Tensor& x) {
  kernels::check_defined("squeeze", x);
  Shape shape;
  for (std::size_t extent : x.sizes()) {
    if (extent != 1) shape.push_back(extent);
  }
  return reshape(x, shape);
}

Tensor squeeze(const Tensor& x, long axis) {
  kernels::check_defined("squeeze", x);
  Shape shape = x.shape();
  if (shape.empty()) {
    normalize_axis("squeeze", axis, Shape{1});  // a scalar takes axis 0 or -1, as in torch
    return x;
  }
  const std::size_t a = normalize_axis("squeeze", axis, shape);
  if (shape[a] != 1) return x;
  shape.erase(shape.begin() + static_cast<long>(a));
  return reshape(x, shape);
}

Tensor unsqueeze(const Tensor& x, long axis) {
  kernels::check_defined("unsqueeze", x);
  Shape shape = x.shape();
  // The new axis is an axis of the result, which has one more: -dim - 1 to dim.
  const long rank = static_cast<long>(shape.size());
  if (axis < -rank - 1 || axis > rank) {
    throw std::out_of_range("unsqueeze: axis " + std::to_string(axis) +
                            " out of range for a tensor of shape " + format_shape(shape) +
                            " (a new axis goes from " + std::to_string(-rank - 1) + " to " +
                            std::to_string(rank) + ")");
  }
  const std::size_t a = static_cast<std::size_t>(axis < 0 ? axis + rank + 1 : axis);
  shape.insert(shape.begin() + static_cast<long>(a), 1);
  return reshape(x, shape);
}

Tensor permute(const Tensor& x, const std::vector<long>& dims) {
  kernels::check_defined("permute", x);
  const Shape shape = x.shape();
  const std::size_t rank = shape.size();
  std::vector<std::size_t> order;
  std::vector<bool> seen(rank, false);
  bool valid = dims.size() == rank;
  for (std::size_t i = 0; valid && i < rank; ++i) {
    const long resolved = dims[i] < 0 ? dims[i] + static_cast<long>(rank) : dims[i];
    valid = resolved >= 0 && resolved < static_cast<long>(rank) && !seen[resolved];
    if (valid) {
      seen[resolved] = true;
      order.push_back(static_cast<std::size_t>(resolved));
    }
  }
  if (!valid) {
    throw std::invalid_argument("permute: " + format_list(dims) + " is not a permutation of the " +
                                std::to_string(rank) + " axes of " + format_shape(shape));
  }
  Shape out_shape(rank);
  const kernels::Strides own = kernels::contiguous_strides(shape);
  kernels::Strides in_strides(rank);
  std::vector<long> inverse(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    out_shape[i] = shape[order[i]];
    in_strides[i] = own[order[i]];
    inverse[order[i]] = static_cast<long>(i);
  }
  Tensor y = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(out_shape);
    T* dst = kernels::values<T>(out);
    const T* in = kernels::values<T>(x);
    kernels::strided_loop(out_shape, kernels::contiguous_strides(out_shape), in_strides,
                          [&](std::size_t o, std::size_t, std::size_t i) { dst[o] = in[i]; });
    return out;
  });
  return record("permute", std::move(y), {x},
                [inverse](const Tensor& dy) { return Gradients{permute(dy, inverse)}; });
}

Tensor expand(const Tensor& x, const std::vector<long>& shape) {
  kernels::check_defined("expand", x);
  const Shape from = x.shape();
  auto fail = [&] {
    return std::invalid_argument("expand: cannot expand " + format_shape(from) + " to " +
                                 format_list(shape));
  };
  if (shape.size() < from.size()) throw fail();
  const std::size_t lead = shape.size() - from.size();
  Shape target(shape.size());
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const bool existing = d >= lead;
    if (shape[d] == -1 && existing) {
      target[d] = from[d - lead];
    } else if (shape[d] < 0) {
      throw fail();  // -1 only for an existing axis, no other negative extent
    } else {
      target[d] = static_cast<std::size_t>(shape[d]);
      if (existing && from[d - lead] != 1 && from[d - lead] != target[d]) throw fail();
    }
  }
  return broadcast_to(x, target);
}

Tensor flatten(const Tensor& x, long start, long end) {
  kernels::check_defined("flatten", x);
  const Shape shape = x.shape();
  if (shape.empty()) {
    normalize_axis("flatten", start, Shape{1});
    normalize_axis("flatten", end, Shape{1});
    return reshape(x, Shape{1});
  }
  const std::size_t first = normalize_axis("flatten", start, shape);
  const std::size_t last = normalize_axis("flatten", end, shape);
  if (first > last) {
    throw std::invalid_argument("flatten: start axis " + std::to_string(start) +
                                " comes after end axis " + std::to_string(end) +
                                " for a tensor of shape " + format_shape(shape));
  }
  Shape out(shape.begin(), shape.begin() + static_cast<long>(first));
  std::size_t merged = 1;
  for (std::size_t d = first; d <= last; ++d) merged *= shape[d];
  out.push_back(merged);
  out.insert(out.end(), shape.begin() + static_cast<long>(last) + 1, shape.end());
  return reshape(x, out);
}

}  // namespace xgrad

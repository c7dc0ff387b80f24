// Tensor::index: each entry of the index list becomes one of the shape ops (select, slice,
// reshape, index_select), so the gradient comes from theirs.
#include "autograd/ops/indexing.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops/kernels.hpp"
#include "autograd/ops/shape_ops.hpp"

namespace xgrad {

namespace {

// How many axes of the indexed tensor an entry consumes.
std::size_t axes_consumed(const TensorIndex& index) {
  const auto& v = index.value();
  if (std::holds_alternative<indexing::NoneIndex>(v)) return 0;
  if (std::holds_alternative<indexing::EllipsisIndex>(v)) return 0;
  if (const Tensor* t = std::get_if<Tensor>(&v); t && t->defined() && t->dtype() == boolean) {
    return t->dim();
  }
  return 1;
}

Shape with_axes_replaced(const Shape& shape, std::size_t first, std::size_t count,
                         const Shape& replacement) {
  Shape out(shape.begin(), shape.begin() + static_cast<long>(first));
  out.insert(out.end(), replacement.begin(), replacement.end());
  out.insert(out.end(), shape.begin() + static_cast<long>(first + count), shape.end());
  return out;
}

// y indexed along axis `dim` by an int64 tensor: its entries picked, the index's shape in place of
// the axis.
Tensor take_along(const Tensor& y, std::size_t dim, const Tensor& index) {
  Tensor picked = index_select(y, static_cast<long>(dim), reshape(index, Shape{index.numel()}));
  return reshape(picked, with_axes_replaced(y.shape(), dim, 1, index.shape()));
}

// y's entries where `mask` (covering axes dim, dim + 1, ...) is true, those axes flattened into
// one.
Tensor take_masked(const Tensor& y, std::size_t dim, const Tensor& mask) {
  const Shape shape = y.shape();
  const Shape covered(shape.begin() + static_cast<long>(dim),
                      shape.begin() + static_cast<long>(dim + mask.dim()));
  if (covered != mask.shape()) {
    throw std::invalid_argument("index: mask of shape " + format_shape(mask.shape()) +
                                " does not match the shape " + format_shape(covered) +
                                " of the axes it indexes in a tensor of shape " +
                                format_shape(shape));
  }
  Tensor flat = reshape(y, with_axes_replaced(shape, dim, mask.dim(), {mask.numel()}));
  std::vector<std::int64_t> positions;
  const bool* m = kernels::values<bool>(mask);
  for (std::size_t i = 0; i < mask.numel(); ++i) {
    if (m[i]) positions.push_back(static_cast<std::int64_t>(i));
  }
  TensorValues<std::int64_t> chosen = TensorValues<std::int64_t>::from_shape({positions.size()});
  std::copy(positions.begin(), positions.end(), chosen.data());
  return index_select(flat, static_cast<long>(dim), Tensor(std::move(chosen)));
}

}  // namespace

Tensor index(const Tensor& x, const std::vector<TensorIndex>& indices) {
  kernels::check_defined("index", x);
  std::size_t consumed = 0, ellipses = 0, tensors = 0;
  for (const TensorIndex& i : indices) {
    consumed += axes_consumed(i);
    ellipses += std::holds_alternative<indexing::EllipsisIndex>(i.value());
    tensors += std::holds_alternative<Tensor>(i.value());
  }
  if (consumed > x.dim() || ellipses > 1 || tensors > 1) {
    throw std::invalid_argument(
        "index: " +
        std::string(ellipses > 1  ? "more than one Ellipsis"
                    : tensors > 1 ? "more than one tensor index (one is supported)"
                                  : "too many indices (" + std::to_string(consumed) + ")") +
        " for a tensor of shape " + format_shape(x.shape()));
  }
  Tensor y = x;
  std::size_t dim = 0;  // the axis of y the next entry applies to
  for (const TensorIndex& entry : indices) {
    const auto& v = entry.value();
    if (const long* i = std::get_if<long>(&v)) {
      y = select(y, static_cast<long>(dim), *i);
    } else if (const auto* s = std::get_if<indexing::Slice>(&v)) {
      y = slice(y, static_cast<long>(dim), s->start, s->stop, s->step);
      ++dim;
    } else if (std::holds_alternative<indexing::NoneIndex>(v)) {
      y = reshape(y, with_axes_replaced(y.shape(), dim, 0, {1}));
      ++dim;
    } else if (std::holds_alternative<indexing::EllipsisIndex>(v)) {
      dim += x.dim() - consumed;
    } else {
      const Tensor& t = std::get<Tensor>(v);
      kernels::check_defined("index", t);
      if (t.dtype() == int64) {
        y = take_along(y, dim, t);
        dim += t.dim();
      } else if (t.dtype() == boolean && t.dim() > 0) {
        y = take_masked(y, dim, t);
        ++dim;
      } else {
        throw std::invalid_argument(
            "index: a tensor index must be int64 or a bool mask of rank "
            "1 or more, got " +
            std::string(dtype_name(t.dtype())) + " " + format_shape(t.shape()));
      }
    }
  }
  return y;
}

}  // namespace xgrad

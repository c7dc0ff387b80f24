// gather, scatter_add, index_add and embedding. Each resolves its int64 indices once, in the
// forward, into a Placement (where each block of the small tensor sits in the big one), and then
// is one of two kernels: read_blocks (gather's direction) or add_blocks (scatter-add's). The two
// are adjoint, so each one's backward is the other, recorded as an op: gradients of gradients
// come out right. The backward captures the resolved positions, not the index tensor, so an index
// changed in place after the forward cannot change the gradient.
#include "autograd/ops/gather.hpp"

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/node.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/shape_ops.hpp"

namespace xgrad {

namespace {

// Where block k of `inner` contiguous values of the small tensor (gather's output, scatter's src)
// lives in the big one: big[offsets[k], offsets[k] + inner), or nowhere (kNowhere: the block reads
// as zeros and adds nothing; embedding's padding rows in its backward).
struct Placement {
  std::vector<std::size_t> offsets;
  std::size_t inner = 1;
};
using PlacementPtr = std::shared_ptr<const Placement>;
constexpr std::size_t kNowhere = static_cast<std::size_t>(-1);

Tensor add_blocks(const char* name, const Tensor& base, const Shape& shape, const PlacementPtr& at,
                  const Tensor& src);

// A tensor of out_shape whose block k is x's values at `reads` (a gather). Its backward adds the
// gradient's blocks at `grads` (the same places, except where a block sends no gradient).
Tensor read_blocks(const char* name, const Tensor& x, const PlacementPtr& reads,
                   const PlacementPtr& grads, const Shape& out_shape) {
  const std::size_t inner = reads->inner, blocks = reads->offsets.size();
  Tensor y = dispatch_any(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor result = kernels::empty<T>(out_shape);
    if (blocks * inner == 0) return result;  // no values: data pointers may be null
    const T* in = kernels::values<T>(x);
    T* out = kernels::values<T>(result);
    const std::size_t* offsets = reads->offsets.data();
    kernels::for_each_range(blocks, [&](std::size_t begin, std::size_t end) {
      for (std::size_t k = begin; k < end; ++k) {
        T* dst = out + k * inner;
        if (offsets[k] == kNowhere) {
          std::fill(dst, dst + inner, T(0));
        } else if (inner == 1) {
          *dst = in[offsets[k]];
        } else {
          std::memcpy(dst, in + offsets[k], inner * sizeof(T));
        }
      }
    });
    return result;
  });
  return record(
      name, std::move(y), {x},
      [grads, shape = x.shape()](const Tensor& dy) {
        // The adjoint of a read is an add: every read value's gradient lands where it was read.
        return Gradients{add_blocks("scatter_add", Tensor(), shape, grads, dy)};
      },
      Saves::nothing);
}

// base (zeros of `shape` when base is undefined) with src's block k added at at->offsets[k];
// repeated offsets add up.
Tensor add_blocks(const char* name, const Tensor& base, const Shape& shape, const PlacementPtr& at,
                  const Tensor& src) {
  const std::size_t inner = at->inner, blocks = at->offsets.size();
  Tensor y = dispatch_arithmetic(name, src.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor result = kernels::empty<T>(shape);
    const std::size_t n = shape_numel(shape);
    if (n == 0) return result;
    T* out = kernels::values<T>(result);
    if (base.defined()) {
      std::memcpy(out, kernels::values<T>(base), n * sizeof(T));
    } else {
      std::fill(out, out + n, T(0));
    }
    if (blocks * inner == 0) return result;
    const T* in = kernels::values<T>(src);
    for (std::size_t k = 0; k < blocks; ++k) {  // serial: repeated offsets would race
      const std::size_t offset = at->offsets[k];
      if (offset == kNowhere) continue;
      T* row = out + offset;
      const T* from = in + k * inner;
      for (std::size_t i = 0; i < inner; ++i) row[i] += from[i];
    }
    return result;
  });
  const bool base_needs = base.defined() && base.requires_grad();
  const bool src_needs = src.requires_grad();
  return detail::record_optional(
      name, std::move(y), {base, src},
      [at, base_needs, src_needs, src_shape = src.shape()](const Tensor& dy) {
        // d/dbase = identity; d/dsrc reads dy back at the places src was added to.
        return Gradients{base_needs ? dy : Tensor(),
                         src_needs ? read_blocks("gather", dy, at, at, src_shape) : Tensor()};
      },
      Saves::nothing);
}

void check_index_dtype(const char* op, const Tensor& index) {
  kernels::check_defined(op, index);
  if (index.dtype() != int64) {
    throw std::invalid_argument(std::string(op) + ": index must be int64, got " +
                                dtype_name(index.dtype()));
  }
}

// A 0-d tensor is treated as one of shape (1,), as PyTorch does for these ops.
Shape at_least_1d(const Tensor& t) {
  return t.dim() == 0 ? Shape{1} : t.shape();
}

// For gather and scatter_add: index has the rank of `other` (named `what`) and fits in it along
// every dim but `skip` (skip = rank to check every dim).
void check_fits(const char* op, const Tensor& index, const Tensor& other, const char* what,
                std::size_t skip) {
  if (index.dim() != other.dim()) {
    throw std::invalid_argument(std::string(op) + ": index has rank " +
                                std::to_string(index.dim()) + " but " + what + " has rank " +
                                std::to_string(other.dim()) + "; they must match");
  }
  const Shape is = index.shape(), os = other.shape();
  for (std::size_t d = 0; d < is.size(); ++d) {
    if (d != skip && is[d] > os[d]) {
      throw std::invalid_argument(std::string(op) + ": index of shape " + format_shape(is) +
                                  " is larger than " + what + " of shape " + format_shape(os) +
                                  " at dim " + std::to_string(d));
    }
  }
}

// For each position of `index` (row-major), the flat offset into a tensor of `shape` of that
// position with its coordinate along `dim` replaced by the index value there; checks each value is
// in [0, shape[dim]).
PlacementPtr place_along(const char* op, const Tensor& index, std::size_t dim, const Shape& shape) {
  const Shape is = at_least_1d(index);
  const std::size_t rank = is.size(), n = index.numel();
  const kernels::Strides strides = kernels::contiguous_strides(shape);
  auto placement = std::make_shared<Placement>();
  placement->offsets.resize(n);
  const std::int64_t* values = kernels::values<std::int64_t>(index);
  const long extent = static_cast<long>(shape[dim]);
  std::vector<std::size_t> coord(rank, 0);
  std::size_t base = 0;  // offset of coord with the coordinate along dim taken as 0
  for (std::size_t p = 0; p < n; ++p) {
    const std::int64_t v = values[p];
    if (v < 0 || v >= extent) {
      throw std::out_of_range(std::string(op) + ": index " + std::to_string(v) +
                              " out of range for dim " + std::to_string(dim) + " of extent " +
                              std::to_string(extent) + " (position " + std::to_string(p) + ")");
    }
    placement->offsets[p] = base + static_cast<std::size_t>(v) * strides[dim];
    for (std::size_t d = rank; d-- > 0;) {  // next coordinate, row-major
      if (d != dim) base += strides[d];
      if (++coord[d] < is[d]) break;
      if (d != dim) base -= strides[d] * is[d];
      coord[d] = 0;
    }
  }
  return placement;
}

}  // namespace

Tensor gather(const Tensor& input, long dim, const Tensor& index) {
  kernels::check_defined("gather", input);
  check_index_dtype("gather", index);
  const Shape shape = at_least_1d(input);
  const std::size_t d = normalize_axis("gather", dim, shape);
  check_fits("gather", index, input, "input", d);
  const PlacementPtr reads = place_along("gather", index, d, shape);
  return read_blocks("gather", input, reads, reads, index.shape());
}

Tensor scatter_add(const Tensor& input, long dim, const Tensor& index, const Tensor& src) {
  kernels::check_same_dtype("scatter_add", input, src);
  check_index_dtype("scatter_add", index);
  const Shape shape = at_least_1d(input);
  const std::size_t d = normalize_axis("scatter_add", dim, shape);
  check_fits("scatter_add", index, input, "input", d);
  check_fits("scatter_add", index, src, "src", index.dim());
  const PlacementPtr at = place_along("scatter_add", index, d, shape);
  // Only src's leading index.shape part is added (PyTorch's rule): narrow it to that, in the graph.
  Tensor used = src;
  const Shape is = index.shape(), ss = src.shape();
  for (std::size_t k = 0; k < is.size(); ++k) {
    if (is[k] != ss[k]) used = narrow(used, static_cast<long>(k), 0, static_cast<long>(is[k]));
  }
  return add_blocks("scatter_add", input, input.shape(), at, used);
}

Tensor index_add(const Tensor& input, long dim, const Tensor& index, const Tensor& source,
                 double alpha) {
  kernels::check_same_dtype("index_add", input, source);
  check_index_dtype("index_add", index);
  if (index.dim() > 1) {
    throw std::invalid_argument("index_add: index must be 1-D, got shape " +
                                format_shape(index.shape()));
  }
  const Shape shape = at_least_1d(input);
  const std::size_t d = normalize_axis("index_add", dim, shape);
  Shape expected = shape;
  expected[d] = index.numel();
  if (at_least_1d(source) != expected || source.dim() != input.dim()) {
    throw std::invalid_argument("index_add: source of shape " + format_shape(source.shape()) +
                                " does not fit input of shape " + format_shape(input.shape()) +
                                " with " + std::to_string(index.numel()) + " indices along dim " +
                                std::to_string(d) + "; expected " +
                                format_shape(input.dim() == 0 ? Shape{} : expected));
  }
  // Source viewed as (outer, n, inner) around dim: block (o, j) lands at input[o, index[j], :].
  const std::size_t n = index.numel();
  std::size_t outer = 1, inner = 1;
  for (std::size_t k = 0; k < d; ++k) outer *= shape[k];
  for (std::size_t k = d + 1; k < shape.size(); ++k) inner *= shape[k];
  const long extent = static_cast<long>(shape[d]);
  const std::int64_t* values = kernels::values<std::int64_t>(index);
  std::vector<std::size_t> rows(n);
  for (std::size_t j = 0; j < n; ++j) {
    const std::int64_t v = values[j];
    if (v < -extent || v >= extent) {
      throw std::out_of_range("index_add: index " + std::to_string(v) + " out of range for dim " +
                              std::to_string(d) + " of extent " + std::to_string(extent) +
                              " (position " + std::to_string(j) + ")");
    }
    rows[j] = static_cast<std::size_t>(v < 0 ? v + extent : v);
  }
  auto at = std::make_shared<Placement>();
  at->inner = inner;
  at->offsets.resize(outer * n);
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t j = 0; j < n; ++j) {
      at->offsets[o * n + j] = (o * shape[d] + rows[j]) * inner;
    }
  }
  const Tensor scaled = alpha == 1.0 ? source : mul(source, alpha);
  return add_blocks("index_add", input, input.shape(), at, scaled);
}

Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<long> padding_idx) {
  kernels::check_floating("embedding", weight);
  if (weight.dim() != 2) {
    throw std::invalid_argument(
        "embedding: weight must be 2-D (num_embeddings, embedding_dim), "
        "got " +
        format_shape(weight.shape()));
  }
  kernels::check_defined("embedding", indices);
  if (indices.dtype() != int64) {
    throw std::invalid_argument(std::string("embedding: indices must be int64, got ") +
                                dtype_name(indices.dtype()) + " (convert them with to(int64))");
  }
  const long count = static_cast<long>(weight.size(0));
  const std::size_t width = weight.size(1);
  std::optional<std::size_t> padding;
  if (padding_idx) {
    if (*padding_idx < -count || *padding_idx >= count) {
      throw std::invalid_argument("embedding: padding_idx " + std::to_string(*padding_idx) +
                                  " out of range for " + std::to_string(count) + " embeddings");
    }
    padding = static_cast<std::size_t>(*padding_idx < 0 ? *padding_idx + count : *padding_idx);
  }
  const std::size_t n = indices.numel();
  const std::int64_t* values = kernels::values<std::int64_t>(indices);
  auto reads = std::make_shared<Placement>();
  reads->inner = width;
  reads->offsets.resize(n);
  bool any_padding = false;
  for (std::size_t p = 0; p < n; ++p) {
    const std::int64_t v = values[p];
    if (v < 0 || v >= count) {
      throw std::out_of_range("embedding: index " + std::to_string(v) + " out of range for " +
                              std::to_string(count) + " embeddings (position " + std::to_string(p) +
                              ")");
    }
    reads->offsets[p] = static_cast<std::size_t>(v) * width;
    any_padding = any_padding || (padding && static_cast<std::size_t>(v) == *padding);
  }
  PlacementPtr grads = reads;
  if (any_padding) {  // the padding row's lookups send no gradient
    auto masked = std::make_shared<Placement>(*reads);
    for (std::size_t& offset : masked->offsets) {
      if (offset == *padding * width) offset = kNowhere;
    }
    grads = masked;
  }
  Shape out_shape = indices.shape();
  out_shape.push_back(width);
  return read_blocks("embedding", weight, reads, grads, out_shape);
}

}  // namespace xgrad

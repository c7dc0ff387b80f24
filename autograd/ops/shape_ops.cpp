// Ops that move values: reshape, transpose, concat, gather along an axis (index_select, slice,
// select) with its scatter-add backward, dtype conversion and clone.
#include "autograd/ops/shape_ops.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "autograd/node.hpp"
#include "autograd/ops/kernels.hpp"

namespace xgrad {

namespace {

// A tensor viewed as (outer, extent, inner) around one axis.
struct AxisView {
  std::size_t outer = 1, extent = 1, inner = 1;
};

AxisView view_around(const Shape& shape, std::size_t axis) {
  AxisView v;
  for (std::size_t d = 0; d < axis; ++d) v.outer *= shape[d];
  v.extent = shape[axis];
  for (std::size_t d = axis + 1; d < shape.size(); ++d) v.inner *= shape[d];
  return v;
}

Tensor scatter_add(const Tensor& src, std::size_t axis, const std::vector<std::size_t>& indices,
                   const Shape& shape);

// out[..., j, ...] = x[..., indices[j], ...] along `axis` (already resolved and checked).
Tensor gather(const char* name, const Tensor& x, std::size_t axis,
              const std::vector<std::size_t>& indices) {
  const Shape shape = x.shape();
  Shape out_shape = shape;
  out_shape[axis] = indices.size();
  const AxisView v = view_around(shape, axis);
  Tensor y = dispatch_any(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor result = kernels::empty<T>(out_shape);
    auto& out = result.data<T>();
    const T* in = x.data<T>().data();
    T* dst = out.data();
    // An empty tensor's data is null, and memcpy from or to null is undefined even for 0 bytes.
    if (v.inner == 0) return result;
    for (std::size_t o = 0; o < v.outer; ++o) {
      for (std::size_t j = 0; j < indices.size(); ++j) {
        std::memcpy(dst + (o * indices.size() + j) * v.inner,
                    in + (o * v.extent + indices[j]) * v.inner, v.inner * sizeof(T));
      }
    }
    return result;
  });
  return record(
      name, std::move(y), {x},
      [axis, indices, shape](const Tensor& dy) {
        return Gradients{
            scatter_add(dy, axis, indices, shape)};  // every read entry gets its gradient
      },
      Saves::nothing);
}

// The adjoint of gather: zeros of `shape`, with src's slices added at `indices` (repeats add up).
Tensor scatter_add(const Tensor& src, std::size_t axis, const std::vector<std::size_t>& indices,
                   const Shape& shape) {
  const AxisView v = view_around(shape, axis);
  Tensor y = dispatch(src.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor result = kernels::empty<T>(shape);
    auto& out = result.data<T>();
    out.fill(0);
    const T* in = src.data<T>().data();
    T* dst = out.data();
    // An empty tensor's data is null, and memcpy from or to null is undefined even for 0 bytes.
    if (v.inner == 0) return result;
    for (std::size_t o = 0; o < v.outer; ++o) {
      for (std::size_t j = 0; j < indices.size(); ++j) {
        T* row = dst + (o * v.extent + indices[j]) * v.inner;
        const T* from = in + (o * indices.size() + j) * v.inner;
        for (std::size_t i = 0; i < v.inner; ++i) row[i] += from[i];
      }
    }
    return result;
  });
  return record(
      "scatter_add", std::move(y), {src},
      [axis, indices](const Tensor& dy) {
        return Gradients{gather("index_select", dy, axis, indices)};
      },
      Saves::nothing);
}

Tensor copy_with_shape(const Tensor& x, const Shape& shape) {
  return dispatch_any(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor result = kernels::empty<T>(shape);
    auto run = [n = x.numel()](const T* in, T* out) {
      if (n) std::memcpy(out, in, n * sizeof(T));
    };
    run(x.data<T>().data(), result.data<T>().data());
    kernels::record_kernel<T, T>("copy", x, result, run);
    return result;
  });
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  kernels::check_defined("reshape", x);
  const Shape from = x.shape();
  if (from == shape) return x;
  if (checked_numel("reshape", shape) != x.numel()) {
    throw std::invalid_argument("reshape: cannot reshape " + format_shape(from) + " into " +
                                format_shape(shape));
  }
  Tensor y = copy_with_shape(x, shape);
  return record(
      "reshape", std::move(y), {x},
      [from](const Tensor& dy) { return Gradients{reshape(dy, from)}; }, Saves::nothing);
}

Tensor reshape(const Tensor& x, const std::vector<long>& shape) {
  kernels::check_defined("reshape", x);
  Shape resolved;
  std::size_t known = 1;
  long inferred = -1;
  auto describe = [&] {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
  };
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1 && inferred < 0) {
      inferred = static_cast<long>(i);
      resolved.push_back(1);
    } else if (shape[i] < 0) {
      throw std::invalid_argument("reshape: bad shape " + describe() + " for a tensor of shape " +
                                  format_shape(x.shape()) +
                                  " (one -1 at most, no other negatives)");
    } else {
      resolved.push_back(static_cast<std::size_t>(shape[i]));
      known *= static_cast<std::size_t>(shape[i]);
    }
  }
  if (inferred >= 0) {
    if (known == 0 || x.numel() % known != 0) {
      throw std::invalid_argument("reshape: cannot reshape " + format_shape(x.shape()) + " into " +
                                  describe());
    }
    resolved[static_cast<std::size_t>(inferred)] = x.numel() / known;
  }
  return reshape(x, resolved);
}

Tensor reshape(const Tensor& x, std::initializer_list<long> shape) {
  return reshape(x, std::vector<long>(shape));
}

Tensor transpose(const Tensor& x) {
  kernels::check_defined("transpose", x);
  if (x.dim() < 2) return x;
  if (x.dim() > 2) {
    throw std::invalid_argument("transpose: tensor of shape " + format_shape(x.shape()) +
                                " is not 2-D; name the two axes to swap");
  }
  return transpose(x, 0, 1);
}

Tensor transpose(const Tensor& x, long axis0, long axis1) {
  kernels::check_defined("transpose", x);
  const Shape shape = x.shape();
  const std::size_t a = normalize_axis("transpose", axis0, shape);
  const std::size_t b = normalize_axis("transpose", axis1, shape);
  if (a == b) return x;
  Shape out_shape = shape;
  std::swap(out_shape[a], out_shape[b]);
  kernels::Strides in_strides = kernels::contiguous_strides(shape);
  std::swap(in_strides[a], in_strides[b]);
  Tensor y = dispatch_any(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor result = kernels::empty<T>(out_shape);
    auto& out = result.data<T>();
    const T* in = x.data<T>().data();
    T* dst = out.data();
    kernels::strided_loop(out_shape, kernels::contiguous_strides(out_shape), in_strides,
                          [&](std::size_t o, std::size_t, std::size_t i) { dst[o] = in[i]; });
    return result;
  });
  return record(
      "transpose", std::move(y), {x},
      [axis0, axis1](const Tensor& dy) { return Gradients{transpose(dy, axis0, axis1)}; },
      Saves::nothing);
}

Tensor concat(const std::vector<Tensor>& tensors, long axis) {
  if (tensors.empty()) throw std::invalid_argument("concat: no tensors given");
  kernels::check_defined("concat", tensors[0]);
  const Shape first = tensors[0].shape();
  const std::size_t a = normalize_axis("concat", axis, first);
  Shape out_shape = first;
  out_shape[a] = 0;
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    kernels::check_same_dtype("concat", tensors[0], tensors[i]);
    Shape s = tensors[i].shape();
    const std::size_t extent = s.size() == first.size() ? s[a] : 0;
    if (s.size() == first.size()) s[a] = first[a];
    if (s != first) {
      throw std::invalid_argument("concat: tensor " + std::to_string(i) + " has shape " +
                                  format_shape(tensors[i].shape()) + ", tensor 0 has " +
                                  format_shape(first) + "; only axis " + std::to_string(axis) +
                                  " may differ");
    }
    offsets.push_back(out_shape[a]);
    out_shape[a] += extent;
  }
  const AxisView out_view = view_around(out_shape, a);
  Tensor y = dispatch_any(tensors[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor result = kernels::empty<T>(out_shape);
    auto& out = result.data<T>();
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      const T* in = tensors[i].data<T>().data();
      const std::size_t block = tensors[i].size(static_cast<long>(a)) * out_view.inner;
      if (block == 0) continue;  // an empty piece, whose data is null
      for (std::size_t o = 0; o < out_view.outer; ++o) {
        std::memcpy(out.data() + o * out_view.extent * out_view.inner + offsets[i] * out_view.inner,
                    in + o * block, block * sizeof(T));
      }
    }
    return result;
  });
  std::vector<std::size_t> extents;
  for (const Tensor& t : tensors) extents.push_back(t.size(static_cast<long>(a)));
  return record(
      "concat", std::move(y), tensors,
      [a, offsets, extents](const Tensor& dy) {
        Gradients grads;
        for (std::size_t i = 0; i < offsets.size(); ++i) {
          grads.push_back(slice(dy, static_cast<long>(a), offsets[i], offsets[i] + extents[i]));
        }
        return grads;
      },
      Saves::nothing);
}

Tensor index_select(const Tensor& x, long axis, const std::vector<std::size_t>& indices) {
  kernels::check_defined("index_select", x);
  const Shape shape = x.shape();
  const std::size_t a = normalize_axis("index_select", axis, shape);
  for (std::size_t index : indices) {
    if (index >= shape[a]) {
      throw std::out_of_range("index_select: index " + std::to_string(index) +
                              " out of range for axis " + std::to_string(axis) + " of extent " +
                              std::to_string(shape[a]));
    }
  }
  return gather("index_select", x, a, indices);
}

Tensor index_select(const Tensor& x, long axis, const Tensor& indices) {
  kernels::check_defined("index_select", x);
  kernels::check_defined("index_select", indices);
  if (indices.dtype() != int64 || indices.dim() != 1) {
    throw std::invalid_argument("index_select: indices must be a 1-D int64 tensor, got " +
                                std::string(dtype_name(indices.dtype())) + " " +
                                format_shape(indices.shape()));
  }
  const Shape shape = x.shape();
  const std::size_t a = normalize_axis("index_select", axis, shape);
  const long extent = static_cast<long>(shape[a]);
  std::vector<std::size_t> resolved(indices.numel());
  const std::int64_t* in = kernels::values<std::int64_t>(indices);
  for (std::size_t i = 0; i < resolved.size(); ++i) {
    const std::int64_t index = in[i];
    if (index < -extent || index >= extent) {
      throw std::out_of_range("index_select: index " + std::to_string(index) +
                              " out of range for axis " + std::to_string(axis) + " of extent " +
                              std::to_string(extent));
    }
    resolved[i] = static_cast<std::size_t>(index < 0 ? index + extent : index);
  }
  return gather("index_select", x, a, resolved);
}

Tensor index_select(const Tensor& x, long axis, std::initializer_list<long> indices) {
  auto values = TensorValues<std::int64_t>::from_shape({indices.size()});
  std::copy(indices.begin(), indices.end(), values.data());
  return index_select(x, axis, Tensor(std::move(values)));
}

Tensor slice(const Tensor& x, long axis, std::optional<long> start, std::optional<long> stop,
             long step) {
  kernels::check_defined("slice", x);
  const Shape shape = x.shape();
  const std::size_t a = normalize_axis("slice", axis, shape);
  const long extent = static_cast<long>(shape[a]);
  if (step <= 0) {
    throw std::invalid_argument("slice: step must be positive, got " + std::to_string(step) +
                                " (axis " + std::to_string(axis) + " of extent " +
                                std::to_string(extent) + ")");
  }
  // Python's rules: negative bounds count from the end, then both are clipped to [0, extent].
  auto resolve = [extent](std::optional<long> bound, long otherwise) {
    long b = bound.value_or(otherwise);
    if (b < 0) b += extent;
    return std::clamp(b, 0L, extent);
  };
  const long first = resolve(start, 0);
  const long last = resolve(stop, extent);
  if (first == 0 && last == extent && step == 1) return x;
  std::vector<std::size_t> indices;
  for (long i = first; i < last; i += step) indices.push_back(static_cast<std::size_t>(i));
  return gather("slice", x, a, indices);
}

Tensor select(const Tensor& x, long axis, long index) {
  kernels::check_defined("select", x);
  Shape shape = x.shape();
  const std::size_t a = normalize_axis("select", axis, shape);
  const long extent = static_cast<long>(shape[a]);
  if (index < -extent || index >= extent) {
    throw std::out_of_range("select: index " + std::to_string(index) + " out of range for axis " +
                            std::to_string(axis) + " of extent " + std::to_string(extent));
  }
  const std::size_t resolved = static_cast<std::size_t>(index < 0 ? index + extent : index);
  Tensor picked = gather("select", x, a, {resolved});
  shape.erase(shape.begin() + static_cast<long>(a));
  return reshape(picked, shape);
}

Tensor narrow(const Tensor& x, long axis, long start, long length) {
  kernels::check_defined("narrow", x);
  const Shape shape = x.shape();
  const std::size_t a = normalize_axis("narrow", axis, shape);
  const long extent = static_cast<long>(shape[a]);
  const long first = start < 0 ? start + extent : start;
  if (first < 0 || length < 0 || first > extent || length > extent - first) {
    throw std::out_of_range("narrow: start " + std::to_string(start) + " and length " +
                            std::to_string(length) + " do not fit axis " + std::to_string(axis) +
                            " of extent " + std::to_string(extent));
  }
  return slice(x, axis, first, first + length);
}

Tensor to(const Tensor& x, Dtype dtype) {
  kernels::check_defined("to", x);
  const Dtype from = x.dtype();
  if (from == dtype) return x;
  Tensor y = dispatch_any(dtype, [&](auto out_tag) {
    using Out = decltype(out_tag);
    return dispatch_any(from, [&](auto in_tag) {
      using In = decltype(in_tag);
      const auto& in = x.data<In>();
      Tensor result = kernels::empty<Out>(in.shape());
      auto& out = result.data<Out>();
      for (std::size_t i = 0; i < in.size(); ++i) {
        out.data()[i] = kernels::convert_value<Out>("to", in.data()[i]);
      }
      return result;
    });
  });
  // A gradient flows only between floating-point dtypes; record() sees to int64 or bool as a
  // new leaf, since such a tensor cannot require grad.
  if (!is_floating_point(dtype)) return y;
  return record(
      "to", std::move(y), {x}, [from](const Tensor& dy) { return Gradients{to(dy, from)}; },
      Saves::nothing);
}

Tensor clone(const Tensor& x) {
  kernels::check_defined("clone", x);
  Tensor y = copy_with_shape(x, x.shape());
  return record(
      "clone", std::move(y), {x}, [](const Tensor& dy) { return Gradients{dy}; }, Saves::nothing);
}

}  // namespace xgrad

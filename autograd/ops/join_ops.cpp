// stack, split, chunk, pad, repeat, tril and triu. Cutting a block out of a tensor (crop) and
// placing one inside a filled tensor (embed) are each other's backward; stack and repeat are
// compositions of reshapes, broadcasts and concat; the triangles mask their own gradient.
#include "autograd/ops/join_ops.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "autograd/node.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/reduction.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/ops/view_ops.hpp"

namespace xgrad {

namespace {

std::string format_list(const std::vector<long>& values) {
  std::string s = "(";
  for (std::size_t i = 0; i < values.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(values[i]);
  }
  return s + (values.size() == 1 ? ",)" : ")");
}

// Calls f(small_offset, big_offset) for every element of a block of shape `small` placed at
// `starts` inside a tensor of shape `big` (both row-major).
template <class F>
void for_each_in_block(const Shape& small, const Shape& big, const Shape& starts, F f) {
  const kernels::Strides big_strides = kernels::contiguous_strides(big);
  std::size_t base = 0;
  for (std::size_t d = 0; d < big.size(); ++d) base += starts[d] * big_strides[d];
  kernels::strided_loop(small, kernels::contiguous_strides(small), big_strides,
                        [&](std::size_t, std::size_t s, std::size_t b) { f(s, base + b); });
}

Tensor embed(const Tensor& x, const Shape& starts, const Shape& shape, double value);

// The block of shape `shape` at `starts` of x (checked by the caller).
Tensor crop(const Tensor& x, const Shape& starts, const Shape& shape) {
  const Shape from = x.shape();
  Tensor y = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(shape);
    T* dst = kernels::values<T>(out);
    const T* in = kernels::values<T>(x);
    for_each_in_block(shape, from, starts, [&](std::size_t s, std::size_t b) { dst[s] = in[b]; });
    return out;
  });
  return record("split", std::move(y), {x}, [starts, from](const Tensor& dy) {
    return Gradients{embed(dy, starts, from, 0.0)};  // the read block gets its gradient, the rest 0
  });
}

// A tensor of `shape` filled with `value`, holding x as the block at `starts`.
Tensor embed(const Tensor& x, const Shape& starts, const Shape& shape, double value) {
  const Shape from = x.shape();
  Tensor y = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(shape);
    T* dst = kernels::values<T>(out);
    std::fill(dst, dst + out.numel(), static_cast<T>(value));
    const T* in = kernels::values<T>(x);
    for_each_in_block(from, shape, starts, [&](std::size_t s, std::size_t b) { dst[b] = in[s]; });
    return out;
  });
  return record("pad", std::move(y), {x},
                [starts, from](const Tensor& dy) { return Gradients{crop(dy, starts, from)}; });
}

// Entries (i, j) of the last two axes with j - i <= diagonal (lower) or >= diagonal (upper) kept.
Tensor triangle(const char* op, const Tensor& x, long diagonal, bool lower) {
  kernels::check_defined(op, x);
  const Shape shape = x.shape();
  if (shape.size() < 2) {
    throw std::invalid_argument(std::string(op) + ": needs a tensor of rank 2 or more, got " +
                                format_shape(shape));
  }
  const std::size_t rows = shape[shape.size() - 2], cols = shape.back();
  Tensor y = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(shape);
    T* dst = kernels::values<T>(out);
    const T* in = kernels::values<T>(x);
    for (std::size_t base = 0, n = out.numel(); base < n; base += rows * cols) {
      for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t j = 0; j < cols; ++j) {
          const long offset = static_cast<long>(j) - static_cast<long>(i);
          const bool keep = lower ? offset <= diagonal : offset >= diagonal;
          dst[base + i * cols + j] = keep ? in[base + i * cols + j] : T(0);
        }
      }
    }
    return out;
  });
  return record(op, std::move(y), {x}, [op, diagonal, lower](const Tensor& dy) {
    return Gradients{triangle(op, dy, diagonal, lower)};  // a fixed mask: masks its gradient
  });
}

}  // namespace

Tensor stack(const std::vector<Tensor>& tensors, long axis) {
  if (tensors.empty()) throw std::invalid_argument("stack: no tensors given");
  kernels::check_defined("stack", tensors[0]);
  const Shape first = tensors[0].shape();
  for (std::size_t i = 1; i < tensors.size(); ++i) {
    kernels::check_same_dtype("stack", tensors[0], tensors[i]);
    if (!tensors[i].has_shape(first)) {
      throw std::invalid_argument("stack: tensor " + std::to_string(i) + " has shape " +
                                  format_shape(tensors[i].shape()) + ", tensor 0 has " +
                                  format_shape(first) + "; all must have the same shape");
    }
  }
  const long rank = static_cast<long>(first.size());
  if (axis < -rank - 1 || axis > rank) {  // the new axis is an axis of the result, one more
    throw std::out_of_range("stack: axis " + std::to_string(axis) +
                            " out of range for tensors of shape " + format_shape(first) +
                            " (a new axis goes from " + std::to_string(-rank - 1) + " to " +
                            std::to_string(rank) + ")");
  }
  std::vector<Tensor> pieces;
  pieces.reserve(tensors.size());
  for (const Tensor& t : tensors) pieces.push_back(unsqueeze(t, axis));
  return concat(pieces, axis);
}

std::vector<Tensor> split(const Tensor& x, const std::vector<long>& sizes, long axis) {
  kernels::check_defined("split", x);
  const Shape shape = x.shape();
  const std::size_t a = normalize_axis("split", axis, shape);
  long total = 0;
  for (long size : sizes) {
    if (size < 0) {
      throw std::invalid_argument("split: negative size in " + format_list(sizes));
    }
    total += size;
  }
  if (total != static_cast<long>(shape[a])) {
    throw std::invalid_argument("split: sizes " + format_list(sizes) + " add up to " +
                                std::to_string(total) + ", but axis " + std::to_string(axis) +
                                " has extent " + std::to_string(shape[a]));
  }
  std::vector<Tensor> pieces;
  Shape starts(shape.size(), 0);
  for (long size : sizes) {
    Shape piece = shape;
    piece[a] = static_cast<std::size_t>(size);
    pieces.push_back(crop(x, starts, piece));
    starts[a] += piece[a];
  }
  return pieces;
}

std::vector<Tensor> split(const Tensor& x, long split_size, long axis) {
  kernels::check_defined("split", x);
  if (split_size <= 0) {
    throw std::invalid_argument("split: split_size must be positive, got " +
                                std::to_string(split_size));
  }
  const long extent = static_cast<long>(x.sizes()[normalize_axis("split", axis, x.sizes())]);
  std::vector<long> sizes;
  for (long start = 0; start < extent; start += split_size) {
    sizes.push_back(std::min(split_size, extent - start));
  }
  if (sizes.empty()) sizes.push_back(0);  // an empty axis splits into one empty piece, as torch
  return split(x, sizes, axis);
}

std::vector<Tensor> chunk(const Tensor& x, long chunks, long axis) {
  kernels::check_defined("chunk", x);
  if (chunks <= 0) {
    throw std::invalid_argument("chunk: chunks must be positive, got " + std::to_string(chunks));
  }
  const long extent = static_cast<long>(x.sizes()[normalize_axis("chunk", axis, x.sizes())]);
  return split(x, std::max(1L, (extent + chunks - 1) / chunks), axis);
}

Tensor pad(const Tensor& x, const std::vector<long>& pads, double value) {
  kernels::check_defined("pad", x);
  const Shape shape = x.shape();
  if (pads.size() % 2 != 0 || pads.size() / 2 > shape.size()) {
    throw std::invalid_argument("pad: padding " + format_list(pads) +
                                " must be (before, after) pairs, at most one per axis of " +
                                format_shape(shape));
  }
  Shape starts(shape.size(), 0), out = shape;
  for (std::size_t pair = 0; pair < pads.size() / 2; ++pair) {
    const long before = pads[2 * pair], after = pads[2 * pair + 1];
    if (before < 0 || after < 0) {
      throw std::invalid_argument("pad: negative padding in " + format_list(pads) +
                                  " (cropping is not supported)");
    }
    const std::size_t axis = shape.size() - 1 - pair;  // pairs start from the last axis
    starts[axis] = static_cast<std::size_t>(before);
    out[axis] += static_cast<std::size_t>(before + after);
  }
  return embed(x, starts, out, value);
}

Tensor repeat(const Tensor& x, const std::vector<long>& repeats) {
  kernels::check_defined("repeat", x);
  const Shape shape = x.shape();
  if (repeats.size() < shape.size() ||
      std::any_of(repeats.begin(), repeats.end(), [](long r) { return r < 0; })) {
    throw std::invalid_argument("repeat: repeats " + format_list(repeats) +
                                " must be non-negative, one at least per axis of " +
                                format_shape(shape));
  }
  // x (d0, d1, ...) seen as (1, d0, 1, d1, ...), broadcast to (r0, d0, r1, d1, ...) and merged
  // pairwise into (r0 d0, r1 d1, ...); the broadcast's backward sums the copies.
  const std::size_t lead = repeats.size() - shape.size();
  Shape interleaved, tiled, out;
  for (std::size_t d = 0; d < repeats.size(); ++d) {
    const std::size_t extent = d < lead ? 1 : shape[d - lead];
    const std::size_t count = static_cast<std::size_t>(repeats[d]);
    interleaved.insert(interleaved.end(), {1, extent});
    tiled.insert(tiled.end(), {count, extent});
    out.push_back(count * extent);
  }
  return reshape(broadcast_to(reshape(x, interleaved), tiled), out);
}

Tensor tril(const Tensor& x, long diagonal) {
  return triangle("tril", x, diagonal, true);
}

Tensor triu(const Tensor& x, long diagonal) {
  return triangle("triu", x, diagonal, false);
}

}  // namespace xgrad

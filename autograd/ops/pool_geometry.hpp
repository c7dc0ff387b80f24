// Internal: the checked extents of a pooling op, shared by the max, mean and adaptive pools.
#pragma once

#include <cstddef>

#include "autograd/tensor.hpp"

namespace xgrad::detail {

/// A pool's arguments per spatial axis (height, width); 1-D pools pass a height of one with
/// kernel, stride and dilation 1 and padding 0 along it.
struct PoolArguments {
  const char* op;    // "max_pool2d", ..., for messages
  std::size_t axes;  // spatial axes the user sees: 1 or 2
  int kernel[2];
  int stride[2];
  int padding[2];
  int dilation[2];
  bool ceil_mode;
};

/// x seen as planes (N C of them) of (h, w), pooled into (oh, ow); output_shape is x's shape with
/// the spatial extents replaced.
struct PoolGeometry {
  std::size_t planes, h, w, oh, ow;
  std::size_t kh, kw, sh, sw, ph, pw, dh, dw;
  Shape output_shape;
};

/// Checks x (rank axes + 2 or axes + 1) against the arguments; throws std::invalid_argument naming
/// args.op and the shapes.
PoolGeometry pool_geometry(const PoolArguments& args, const Tensor& x);
/// The same for an adaptive 2-D pool to (out_h, out_w).
PoolGeometry adaptive_pool_geometry(const char* op, int out_h, int out_w, const Tensor& x);

}  // namespace xgrad::detail

// Convolutions over one and two spatial axes (torch.nn.functional.conv1d / conv2d): im2col and one
// BLAS gemm per block of samples, with backwards that are convolutions again (so create_graph
// differentiates them to any order).
#pragma once

#include <string>

#include "autograd/tensor.hpp"

namespace xgrad {

/// A size per spatial axis, as PyTorch's ExpandingArray: conv2d(x, w, b, 2) means stride (2, 2),
/// conv2d(x, w, b, {2, 1}) stride 2 along the height and 1 along the width.
/// A default-constructed Size2 is unset: pooling then takes the stride from the kernel size.
struct Size2 {
  Size2() = default;
  Size2(int both) : h(both), w(both), given(true) {}
  Size2(int height, int width) : h(height), w(width), given(true) {}
  int h = 0;
  int w = 0;
  bool given = false;
};

/// Zero padding: a size per spatial axis (as Size2), or "valid" (none) or "same" (the output keeps
/// the input's size; stride 1 only; when the total padding is odd the extra zero goes after the
/// input, as in PyTorch).
struct Padding {
  Padding(int both) : h(both), w(both) {}
  Padding(int height, int width) : h(height), w(width) {}
  Padding(const char* mode) : mode(mode) {}
  int h = 0;
  int w = 0;
  std::string mode;  // "" (sizes above), "same" or "valid"
};

/// The cross-correlation of x (N, C, H, W), or (C, H, W) for one sample, with weight
/// (O, C / groups, kH, kW), plus bias (O,) if defined: output (N, O, Ho, Wo) with
/// Ho = (H + 2 padding.h - dilation.h (kH - 1) - 1) / stride.h + 1, and likewise Wo. Input channels
/// are split into `groups` groups, each convolved with its own O / groups filters. Throws
/// std::invalid_argument naming conv2d and the shapes for a wrong rank, a channel count that does
/// not match the weight, channels not divisible by groups, a non-positive stride, dilation or
/// groups, a negative padding, "same" with a stride other than 1, an unknown padding mode, a
/// kernel larger than the padded input, a bias of the wrong shape, or mismatched dtypes.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              Size2 stride = 1, Padding padding = 0, Size2 dilation = 1, int groups = 1);

/// The same over one spatial axis: x (N, C, L) or (C, L), weight (O, C / groups, k), output
/// (N, O, Lo). A Padding of two different sizes is refused.
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), int stride = 1,
              Padding padding = 0, int dilation = 1, int groups = 1);

}  // namespace xgrad

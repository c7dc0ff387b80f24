// Internal: the checked extents of a convolution, shared by conv1d and conv2d.
#pragma once

#include <cstddef>
#include <string>

#include "autograd/tensor.hpp"

namespace xgrad::detail {

/// A convolution's arguments as the user gave them, per spatial axis (height, width); conv1d
/// passes a height of one with stride, dilation 1 and padding 0 along it.
struct ConvArguments {
  const char* op;    // "conv1d" or "conv2d", for messages
  std::size_t axes;  // spatial axes the user sees: 1 or 2
  int stride[2];
  int padding[2];
  std::string mode;  // "", "same" or "valid"
  int dilation[2];
  int groups;
};

/// The extents of one convolution: input (n, c, h, w), weight (o, c / groups, kh, kw), output
/// (n, o, oh, ow). pad_h and pad_w are the zeros before the input; those after only set oh, ow.
struct ConvGeometry {
  std::size_t n, c, h, w, o, kh, kw, groups;
  std::size_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, oh, ow;

  std::size_t ckk() const { return c / groups * kh * kw; }  // rows of one group's im2col
  std::size_t out_plane() const { return oh * ow; }
  Shape input_shape() const { return {n, c, h, w}; }
  Shape weight_shape() const { return {o, c / groups, kh, kw}; }
  Shape output_shape() const { return {n, o, oh, ow}; }
};

/// Checks x, weight and bias against the arguments and returns the geometry; x may be batched
/// (rank axes + 2) or one sample (rank axes + 1, n = 1). Throws std::invalid_argument naming
/// args.op and the shapes.
ConvGeometry conv_geometry(const ConvArguments& args, const Tensor& x, const Tensor& weight,
                           const Tensor& bias);

}  // namespace xgrad::detail

// nn::Conv1d and nn::Conv2d: the convolution layers, with PyTorch's arguments, parameter names,
// shapes and initialisation.
#pragma once

#include <cstddef>
#include <string>

#include "autograd/ops/conv.hpp"
#include "autograd/random.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

/// y = conv2d(x, weight, bias, stride, padding, dilation, groups) for x (N, in_channels, H, W) or
/// (in_channels, H, W). weight is (out_channels, in_channels / groups, kH, kW) and bias
/// (out_channels,), both drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels /
/// groups * kH * kW: PyTorch's default (kaiming_uniform with a = sqrt(5) for the weight).
class Conv2d : public Module {
 public:
  /// Throws std::invalid_argument for zero channels or kernel, channels not divisible by groups,
  /// or a non-positive stride, dilation or groups, or a negative padding.
  Conv2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size, Size2 stride = 1,
         Padding padding = 0, Size2 dilation = 1, int groups = 1, bool bias = true,
         Generator& generator = default_generator(), Dtype dtype = float32);

  /// Throws std::invalid_argument "Conv2d: input (8, 3, 8, 8) has 3 channels, layer expects 1",
  /// and for a wrong rank, another dtype, or an input smaller than the kernel.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  Tensor weight;  // (out_channels, in_channels / groups, kH, kW)
  Tensor bias;    // (out_channels,), undefined without bias

 private:
  std::size_t in_channels_, out_channels_;
  Size2 kernel_size_, stride_, dilation_;
  Padding padding_;
  int groups_;
};

/// The same over one spatial axis: x (N, in_channels, L) or (in_channels, L), weight
/// (out_channels, in_channels / groups, kernel_size).
class Conv1d : public Module {
 public:
  Conv1d(std::size_t in_channels, std::size_t out_channels, int kernel_size, int stride = 1,
         Padding padding = 0, int dilation = 1, int groups = 1, bool bias = true,
         Generator& generator = default_generator(), Dtype dtype = float32);

  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  Tensor weight;  // (out_channels, in_channels / groups, kernel_size)
  Tensor bias;    // (out_channels,), undefined without bias

 private:
  std::size_t in_channels_, out_channels_;
  int kernel_size_, stride_, dilation_;
  Padding padding_;
  int groups_;
};

}  // namespace xgrad::nn

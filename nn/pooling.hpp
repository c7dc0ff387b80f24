// Pooling layers: nn::MaxPool2d, nn::AvgPool2d and nn::AdaptiveAvgPool2d, module forms of the
// pooling ops with PyTorch's arguments (no parameters).
#pragma once

#include <string>

#include "autograd/ops/pooling.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

/// max_pool2d over x (N, C, H, W) or (C, H, W); the stride defaults to the kernel size. Throws
/// std::invalid_argument at construction for a non-positive kernel, stride or dilation or a
/// padding above half the kernel, and in forward for a wrong rank or an input smaller than the
/// kernel.
class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(Size2 kernel_size, Size2 stride = Size2(), Size2 padding = 0,
                     Size2 dilation = 1, bool ceil_mode = false);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  Size2 kernel_size_, stride_, padding_, dilation_;
  bool ceil_mode_;
};

/// avg_pool2d over x (N, C, H, W) or (C, H, W), padded zeros counted in the divisor unless
/// count_include_pad is false.
class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Size2 kernel_size, Size2 stride = Size2(), Size2 padding = 0,
                     bool ceil_mode = false, bool count_include_pad = true);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  Size2 kernel_size_, stride_, padding_;
  bool ceil_mode_, count_include_pad_;
};

/// adaptive_avg_pool2d of x (N, C, H, W) or (C, H, W) to output_size: (1, 1) is a global average.
class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  Size2 output_size_;
};

}  // namespace xgrad::nn

// Pooling layers: argument checks at construction, the pooling ops in forward, errors under the
// layer's name.
#include "nn/pooling.hpp"

#include <stdexcept>
#include <string>

namespace xgrad::nn {

namespace {

// "2" when both axes agree, "(2, 1)" otherwise, as PyTorch prints what it was given.
std::string size_repr(Size2 s) {
  if (s.h == s.w) return std::to_string(s.h);
  return "(" + std::to_string(s.h) + ", " + std::to_string(s.w) + ")";
}

void check_pool(const char* layer, Size2 kernel, Size2 stride, Size2 padding, Size2 dilation) {
  const auto fail = [layer](const std::string& what) {
    throw std::invalid_argument(std::string(layer) + ": " + what);
  };
  if (kernel.h < 1 || kernel.w < 1) fail("kernel_size must be positive; got " + size_repr(kernel));
  if (stride.h < 1 || stride.w < 1) fail("stride must be positive; got " + size_repr(stride));
  if (dilation.h < 1 || dilation.w < 1) {
    fail("dilation must be positive; got " + size_repr(dilation));
  }
  if (padding.h < 0 || padding.w < 0 || 2 * padding.h > kernel.h || 2 * padding.w > kernel.w) {
    fail("padding must be between 0 and half the kernel size " + size_repr(kernel) + "; got " +
         size_repr(padding));
  }
}

template <class F>
Tensor named(const char* layer, const Tensor& x, F f) {
  if (!x.defined()) throw std::invalid_argument(std::string(layer) + ": input is undefined");
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(layer) + ": " + e.what());
  }
}

}  // namespace

MaxPool2d::MaxPool2d(Size2 kernel_size, Size2 stride, Size2 padding, Size2 dilation, bool ceil_mode)
    : kernel_size_(kernel_size),
      stride_(stride.given ? stride : kernel_size),
      padding_(padding),
      dilation_(dilation),
      ceil_mode_(ceil_mode) {
  check_pool("MaxPool2d", kernel_size_, stride_, padding_, dilation_);
}

Tensor MaxPool2d::forward(const Tensor& x) {
  return named("MaxPool2d", x, [&] {
    return max_pool2d(x, kernel_size_, stride_, padding_, dilation_, ceil_mode_);
  });
}

std::string MaxPool2d::extra_repr() const {
  return "kernel_size=" + size_repr(kernel_size_) + ", stride=" + size_repr(stride_) +
         ", padding=" + size_repr(padding_) + ", dilation=" + size_repr(dilation_) +
         ", ceil_mode=" + (ceil_mode_ ? "true" : "false");
}

AvgPool2d::AvgPool2d(Size2 kernel_size, Size2 stride, Size2 padding, bool ceil_mode,
                     bool count_include_pad)
    : kernel_size_(kernel_size),
      stride_(stride.given ? stride : kernel_size),
      padding_(padding),
      ceil_mode_(ceil_mode),
      count_include_pad_(count_include_pad) {
  check_pool("AvgPool2d", kernel_size_, stride_, padding_, 1);
}

Tensor AvgPool2d::forward(const Tensor& x) {
  return named("AvgPool2d", x, [&] {
    return avg_pool2d(x, kernel_size_, stride_, padding_, ceil_mode_, count_include_pad_);
  });
}

std::string AvgPool2d::extra_repr() const {
  std::string s = "kernel_size=" + size_repr(kernel_size_) + ", stride=" + size_repr(stride_) +
                  ", padding=" + size_repr(padding_);
  if (ceil_mode_) s += ", ceil_mode=true";
  if (!count_include_pad_) s += ", count_include_pad=false";
  return s;
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Size2 output_size) : output_size_(output_size) {
  if (output_size.h < 1 || output_size.w < 1) {
    throw std::invalid_argument("AdaptiveAvgPool2d: output_size must be positive; got (" +
                                std::to_string(output_size.h) + ", " +
                                std::to_string(output_size.w) + ")");
  }
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) {
  return named("AdaptiveAvgPool2d", x, [&] { return adaptive_avg_pool2d(x, output_size_); });
}

std::string AdaptiveAvgPool2d::extra_repr() const {
  return "output_size=(" + std::to_string(output_size_.h) + ", " + std::to_string(output_size_.w) +
         ")";
}

}  // namespace xgrad::nn

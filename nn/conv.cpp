// nn::Conv1d and nn::Conv2d: parameters, PyTorch's initialisation, and the checks that name the
// layer; the computation is the conv1d / conv2d op.
#include "nn/conv.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/factory.hpp"
#include "autograd/ops.hpp"
#include "nn/init.hpp"

namespace xgrad::nn {

namespace {

// Checks the layer's sizes before any tensor is made.
void check_layer(const char* layer, std::size_t in, std::size_t out, long kh, long kw, long sh,
                 long sw, const Padding& padding, long dh, long dw, int groups) {
  const auto fail = [layer](const std::string& what) {
    throw std::invalid_argument(std::string(layer) + ": " + what);
  };
  if (in == 0 || out == 0) {
    fail("need at least one input and one output channel; got " + std::to_string(in) + " -> " +
         std::to_string(out));
  }
  if (groups < 1 || in % static_cast<std::size_t>(groups) != 0 ||
      out % static_cast<std::size_t>(groups) != 0) {
    fail("groups " + std::to_string(groups) + " must be positive and divide in_channels " +
         std::to_string(in) + " and out_channels " + std::to_string(out));
  }
  if (kh < 1 || kw < 1) fail("kernel_size must be positive");
  if (sh < 1 || sw < 1) fail("stride must be positive");
  if (dh < 1 || dw < 1) fail("dilation must be positive");
  if (padding.mode.empty() && (padding.h < 0 || padding.w < 0)) {
    fail("padding must be non-negative");
  }
  if (padding.mode == "same" && (sh != 1 || sw != 1)) fail("padding \"same\" needs stride 1");
  if (!padding.mode.empty() && padding.mode != "same" && padding.mode != "valid") {
    fail("padding must be \"same\", \"valid\" or sizes; got \"" + padding.mode + "\"");
  }
}

// PyTorch's reset_parameters: kaiming_uniform(a = sqrt(5)) for the weight, whose bound
// sqrt(6 / ((1 + a^2) fan_in)) is 1 / sqrt(fan_in), and the bias U(-1/sqrt(fan_in), ...) too.
void reset_parameters(Tensor& weight, Tensor& bias, Generator& generator) {
  const Shape s = weight.shape();
  double fan_in = 1;
  for (std::size_t d = 1; d < s.size(); ++d) fan_in *= static_cast<double>(s[d]);
  const double bound = 1.0 / std::sqrt(fan_in);
  init::uniform_(weight, -bound, bound, generator);
  if (bias.defined()) init::uniform_(bias, -bound, bound, generator);
}

// The layer's own checks on an input, before the op's: rank, channels, dtype.
void check_input(const char* layer, const Tensor& x, std::size_t axes, std::size_t in_channels,
                 const Tensor& weight) {
  if (!x.defined()) throw std::invalid_argument(std::string(layer) + ": input is undefined");
  const Shape s = x.shape();
  const std::string layout = axes == 1 ? "L" : "H, W";
  if (s.size() != axes + 2 && s.size() != axes + 1) {
    throw std::invalid_argument(std::string(layer) + ": input " + format_shape(s) + " has rank " +
                                std::to_string(s.size()) + "; the layer takes (N, " +
                                std::to_string(in_channels) + ", " + layout + ") or (" +
                                std::to_string(in_channels) + ", " + layout + ")");
  }
  const std::size_t channels = s[s.size() - axes - 1];
  if (channels != in_channels) {
    throw std::invalid_argument(std::string(layer) + ": input " + format_shape(s) + " has " +
                                std::to_string(channels) + " channels, layer expects " +
                                std::to_string(in_channels));
  }
  if (x.dtype() != weight.dtype()) {
    throw std::invalid_argument(std::string(layer) + ": input is " + dtype_name(x.dtype()) +
                                ", layer is " + dtype_name(weight.dtype()) +
                                " (convert one with to())");
  }
}

// The op's remaining complaints (a kernel larger than the padded input) under the layer's name.
template <class F>
Tensor named(const char* layer, F f) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(layer) + ": " + e.what());
  }
}

std::string pair(long h, long w) {
  return "(" + std::to_string(h) + ", " + std::to_string(w) + ")";
}

std::string padding_repr(const Padding& p, bool two_axes) {
  if (!p.mode.empty()) return "\"" + p.mode + "\"";
  return two_axes ? pair(p.h, p.w) : std::to_string(p.w);
}

bool padding_is_default(const Padding& p) {
  return p.mode.empty() && p.h == 0 && p.w == 0;
}

}  // namespace

Conv2d::Conv2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size, Size2 stride,
               Padding padding, Size2 dilation, int groups, bool with_bias, Generator& generator,
               Dtype dtype)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      stride_(stride),
      dilation_(dilation),
      padding_(padding),
      groups_(groups) {
  check_layer("Conv2d", in_channels, out_channels, kernel_size.h, kernel_size.w, stride.h, stride.w,
              padding, dilation.h, dilation.w, groups);
  const std::size_t group_in = in_channels / static_cast<std::size_t>(groups);
  Tensor w = zeros({out_channels, group_in, static_cast<std::size_t>(kernel_size.h),
                    static_cast<std::size_t>(kernel_size.w)},
                   dtype);
  Tensor b = with_bias ? zeros({out_channels}, dtype) : Tensor();
  reset_parameters(w, b, generator);
  weight = register_parameter("weight", w);
  if (with_bias) bias = register_parameter("bias", b);
}

Tensor Conv2d::forward(const Tensor& x) {
  check_input("Conv2d", x, 2, in_channels_, weight);
  return named("Conv2d",
               [&] { return conv2d(x, weight, bias, stride_, padding_, dilation_, groups_); });
}

std::string Conv2d::extra_repr() const {
  std::string s = "in_channels=" + std::to_string(in_channels_) +
                  ", out_channels=" + std::to_string(out_channels_) +
                  ", kernel_size=" + pair(kernel_size_.h, kernel_size_.w) +
                  ", stride=" + pair(stride_.h, stride_.w);
  if (!padding_is_default(padding_)) s += ", padding=" + padding_repr(padding_, true);
  if (dilation_.h != 1 || dilation_.w != 1) s += ", dilation=" + pair(dilation_.h, dilation_.w);
  if (groups_ != 1) s += ", groups=" + std::to_string(groups_);
  if (!bias.defined()) s += ", bias=false";
  return s;
}

Conv1d::Conv1d(std::size_t in_channels, std::size_t out_channels, int kernel_size, int stride,
               Padding padding, int dilation, int groups, bool with_bias, Generator& generator,
               Dtype dtype)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      stride_(stride),
      dilation_(dilation),
      padding_(padding),
      groups_(groups) {
  check_layer("Conv1d", in_channels, out_channels, 1, kernel_size, 1, stride, padding, 1, dilation,
              groups);
  if (padding.mode.empty() && padding.h != padding.w) {
    throw std::invalid_argument("Conv1d: padding has one size; got " + pair(padding.h, padding.w));
  }
  const std::size_t group_in = in_channels / static_cast<std::size_t>(groups);
  Tensor w = zeros({out_channels, group_in, static_cast<std::size_t>(kernel_size)}, dtype);
  Tensor b = with_bias ? zeros({out_channels}, dtype) : Tensor();
  reset_parameters(w, b, generator);
  weight = register_parameter("weight", w);
  if (with_bias) bias = register_parameter("bias", b);
}

Tensor Conv1d::forward(const Tensor& x) {
  check_input("Conv1d", x, 1, in_channels_, weight);
  return named("Conv1d",
               [&] { return conv1d(x, weight, bias, stride_, padding_, dilation_, groups_); });
}

std::string Conv1d::extra_repr() const {
  std::string s = "in_channels=" + std::to_string(in_channels_) +
                  ", out_channels=" + std::to_string(out_channels_) +
                  ", kernel_size=" + std::to_string(kernel_size_) +
                  ", stride=" + std::to_string(stride_);
  if (!padding_is_default(padding_)) s += ", padding=" + padding_repr(padding_, false);
  if (dilation_ != 1) s += ", dilation=" + std::to_string(dilation_);
  if (groups_ != 1) s += ", groups=" + std::to_string(groups_);
  if (!bias.defined()) s += ", bias=false";
  return s;
}

}  // namespace xgrad::nn

// Internal: the checks of a convolution's arguments and the extents that follow from them.
#include "autograd/ops/conv_geometry.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops/kernels.hpp"

namespace xgrad::detail {

namespace {

// A size per spatial axis as the user wrote it: "3" for conv1d, "(3, 3)" for conv2d.
std::string sizes(const ConvArguments& args, long height, long width) {
  if (args.axes == 1) return std::to_string(width);
  return "(" + std::to_string(height) + ", " + std::to_string(width) + ")";
}

std::string sizes(const ConvArguments& args, const int (&v)[2]) {
  return sizes(args, v[0], v[1]);
}

[[noreturn]] void fail(const ConvArguments& args, const std::string& what) {
  throw std::invalid_argument(std::string(args.op) + ": " + what);
}

}  // namespace

ConvGeometry conv_geometry(const ConvArguments& args, const Tensor& x, const Tensor& weight,
                           const Tensor& bias) {
  kernels::check_same_dtype(args.op, x, weight);
  if (bias.defined()) kernels::check_same_dtype(args.op, x, bias);
  const std::size_t d = args.axes;
  const Shape sx = x.shape();
  const Shape sw = weight.shape();
  const std::string layout = d == 1 ? "L" : "H, W";
  if (sx.size() != d + 2 && sx.size() != d + 1) {
    fail(args, "expected input of rank " + std::to_string(d + 2) + " (N, C, " + layout + ") or " +
                   std::to_string(d + 1) + " (C, " + layout + "); got " + format_shape(sx));
  }
  if (sw.size() != d + 2) {
    fail(args, "expected weight of rank " + std::to_string(d + 2) +
                   " (out_channels, in_channels / groups, " + (d == 1 ? "k" : "kH, kW") +
                   "); got " + format_shape(sw));
  }
  for (int i = 0; i < 2; ++i) {
    if (args.stride[i] < 1) fail(args, "stride must be positive; got " + sizes(args, args.stride));
    if (args.dilation[i] < 1) {
      fail(args, "dilation must be positive; got " + sizes(args, args.dilation));
    }
    if (args.padding[i] < 0) {
      fail(args, "padding must be non-negative; got " + sizes(args, args.padding));
    }
  }
  if (args.groups < 1) fail(args, "groups must be positive; got " + std::to_string(args.groups));
  if (!args.mode.empty() && args.mode != "same" && args.mode != "valid") {
    fail(args, "padding must be \"same\", \"valid\" or sizes; got \"" + args.mode + "\"");
  }
  if (args.mode == "same" && (args.stride[0] != 1 || args.stride[1] != 1)) {
    fail(args, "padding \"same\" needs stride 1; got stride " + sizes(args, args.stride));
  }

  ConvGeometry g{};
  const bool batched = sx.size() == d + 2;
  const std::size_t lead = batched ? 1 : 0;  // the axis of the channels
  g.n = batched ? sx[0] : 1;
  g.c = sx[lead];
  g.h = d == 2 ? sx[lead + 1] : 1;
  g.w = sx.back();
  g.o = sw[0];
  g.kh = d == 2 ? sw[2] : 1;
  g.kw = sw.back();
  g.groups = static_cast<std::size_t>(args.groups);
  const std::size_t groups = g.groups;
  if (g.o == 0 || g.o % groups != 0) {
    fail(args, "weight " + format_shape(sw) + " has " + std::to_string(g.o) +
                   " output channels, which groups " + std::to_string(groups) +
                   " does not divide into whole groups");
  }
  if (g.c == 0 || g.c % groups != 0 || g.c / groups != sw[1]) {
    fail(args, "input " + format_shape(sx) + " has " + std::to_string(g.c) + " channels; weight " +
                   format_shape(sw) + " with groups " + std::to_string(groups) + " expects " +
                   std::to_string(sw[1] * groups));
  }
  if (bias.defined() && !(bias.dim() == 1 && bias.numel() == g.o)) {
    fail(args, "bias " + format_shape(bias.shape()) + " should be (" + std::to_string(g.o) +
                   ",), one per output channel of weight " + format_shape(sw));
  }

  g.stride_h = static_cast<std::size_t>(args.stride[0]);
  g.stride_w = static_cast<std::size_t>(args.stride[1]);
  g.dil_h = static_cast<std::size_t>(args.dilation[0]);
  g.dil_w = static_cast<std::size_t>(args.dilation[1]);
  if (g.kh == 0 || g.kw == 0) fail(args, "weight " + format_shape(sw) + " has an empty kernel");
  const std::size_t span_h = g.dil_h * (g.kh - 1) + 1, span_w = g.dil_w * (g.kw - 1) + 1;
  // Zeros before and after the input along each axis. "same": dilation (k - 1) in all, the odd
  // one after (PyTorch's choice).
  std::size_t before_h = static_cast<std::size_t>(args.padding[0]), after_h = before_h;
  std::size_t before_w = static_cast<std::size_t>(args.padding[1]), after_w = before_w;
  if (args.mode == "valid") before_h = after_h = before_w = after_w = 0;
  if (args.mode == "same") {
    before_h = (span_h - 1) / 2;
    after_h = span_h - 1 - before_h;
    before_w = (span_w - 1) / 2;
    after_w = span_w - 1 - before_w;
  }
  const std::size_t padded_h = g.h + before_h + after_h, padded_w = g.w + before_w + after_w;
  if (span_h > padded_h || span_w > padded_w) {
    const auto l = [](std::size_t v) { return static_cast<long>(v); };
    fail(args, "kernel " + sizes(args, l(g.kh), l(g.kw)) + " with dilation " +
                   sizes(args, args.dilation) + " spans " + sizes(args, l(span_h), l(span_w)) +
                   ", larger than the padded input " + sizes(args, l(padded_h), l(padded_w)) +
                   " (input " + format_shape(sx) + ", padding " +
                   sizes(args, l(before_h + after_h) / 2, l(before_w + after_w) / 2) + ")");
  }
  g.pad_h = before_h;
  g.pad_w = before_w;
  g.oh = (padded_h - span_h) / g.stride_h + 1;
  g.ow = (padded_w - span_w) / g.stride_w + 1;
  return g;
}

}  // namespace xgrad::detail

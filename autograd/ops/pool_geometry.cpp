// Internal: the checks of a pool's arguments and the extents that follow from them.
#include "autograd/ops/pool_geometry.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops/kernels.hpp"

namespace xgrad::detail {

namespace {

// A size per spatial axis as the user wrote it: "3" for a 1-D pool, "(3, 3)" for a 2-D one.
std::string sizes(std::size_t axes, long height, long width) {
  if (axes == 1) return std::to_string(width);
  return "(" + std::to_string(height) + ", " + std::to_string(width) + ")";
}

[[noreturn]] void fail(const char* op, const std::string& what) {
  throw std::invalid_argument(std::string(op) + ": " + what);
}

// Checks x's dtype and rank and fills planes, h and w.
PoolGeometry planes_of(const char* op, std::size_t axes, const Tensor& x) {
  kernels::check_defined(op, x);
  const Shape sx = x.shape();
  const std::string layout = axes == 1 ? "L" : "H, W";
  if (sx.size() != axes + 2 && sx.size() != axes + 1) {
    fail(op, "expected input of rank " + std::to_string(axes + 2) + " (N, C, " + layout + ") or " +
                 std::to_string(axes + 1) + " (C, " + layout + "); got " + format_shape(sx));
  }
  PoolGeometry g{};
  g.w = sx.back();
  g.h = axes == 2 ? sx[sx.size() - 2] : 1;
  g.planes = 1;
  for (std::size_t d = 0; d + axes < sx.size(); ++d) g.planes *= sx[d];
  g.output_shape = sx;
  return g;
}

}  // namespace

PoolGeometry pool_geometry(const PoolArguments& args, const Tensor& x) {
  const std::size_t axes = args.axes;
  PoolGeometry g = planes_of(args.op, axes, x);
  const auto all = [&](const int(&v)[2]) { return sizes(axes, v[0], v[1]); };
  for (int i = 0; i < 2; ++i) {
    if (args.kernel[i] < 1) fail(args.op, "kernel_size must be positive; got " + all(args.kernel));
    if (args.stride[i] < 1) fail(args.op, "stride must be positive; got " + all(args.stride));
    if (args.dilation[i] < 1) {
      fail(args.op, "dilation must be positive; got " + all(args.dilation));
    }
    if (args.padding[i] < 0 || 2 * args.padding[i] > args.kernel[i]) {
      fail(args.op, "padding must be between 0 and half the kernel size " + all(args.kernel) +
                        "; got " + all(args.padding));
    }
  }
  const std::size_t extent[2] = {g.h, g.w};
  std::size_t out[2];
  for (int i = 0; i < 2; ++i) {
    const long in = static_cast<long>(extent[i]), pad = args.padding[i], s = args.stride[i];
    const long span = static_cast<long>(args.dilation[i]) * (args.kernel[i] - 1) + 1;
    if (span > in + 2 * pad) {
      const long span_h = static_cast<long>(args.dilation[0]) * (args.kernel[0] - 1) + 1;
      const long span_w = static_cast<long>(args.dilation[1]) * (args.kernel[1] - 1) + 1;
      fail(args.op,
           "kernel " + all(args.kernel) + " with dilation " + all(args.dilation) + " spans " +
               sizes(axes, span_h, span_w) + ", larger than the padded input " +
               sizes(axes, static_cast<long>(g.h) + 2 * args.padding[0],
                     static_cast<long>(g.w) + 2 * args.padding[1]) +
               " (input " + format_shape(x.shape()) + ", padding " + all(args.padding) + ")");
    }
    // PyTorch's pooling_output_shape: rounded down, or up with ceil_mode unless the last window
    // would start in the right padding.
    long o = (in + 2 * pad - span + (args.ceil_mode ? s - 1 : 0)) / s + 1;
    if (args.ceil_mode && (o - 1) * s >= in + pad) --o;
    out[i] = static_cast<std::size_t>(o);
  }
  g.oh = out[0];
  g.ow = out[1];
  g.kh = static_cast<std::size_t>(args.kernel[0]);
  g.kw = static_cast<std::size_t>(args.kernel[1]);
  g.sh = static_cast<std::size_t>(args.stride[0]);
  g.sw = static_cast<std::size_t>(args.stride[1]);
  g.ph = static_cast<std::size_t>(args.padding[0]);
  g.pw = static_cast<std::size_t>(args.padding[1]);
  g.dh = static_cast<std::size_t>(args.dilation[0]);
  g.dw = static_cast<std::size_t>(args.dilation[1]);
  g.output_shape.back() = g.ow;
  if (axes == 2) g.output_shape[g.output_shape.size() - 2] = g.oh;
  return g;
}

PoolGeometry adaptive_pool_geometry(const char* op, int out_h, int out_w, const Tensor& x) {
  PoolGeometry g = planes_of(op, 2, x);
  if (out_h < 1 || out_w < 1) {
    fail(op, "output_size must be positive; got " + sizes(2, out_h, out_w));
  }
  if (g.h == 0 || g.w == 0) fail(op, "input " + format_shape(x.shape()) + " has an empty plane");
  g.oh = static_cast<std::size_t>(out_h);
  g.ow = static_cast<std::size_t>(out_w);
  g.output_shape.back() = g.ow;
  g.output_shape[g.output_shape.size() - 2] = g.oh;
  return g;
}

}  // namespace xgrad::detail

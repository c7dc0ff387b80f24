// Tests of conv1d and conv2d: values against a direct loop over every geometry (stride, padding,
// "same", dilation, groups, bias, batch of one, unbatched input), float32, and first and second
// derivatives in float64.
#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "gradient_checks.hpp"

using namespace xgrad;
using xgrad::testing::check_gradients_twice;
using xgrad::testing::check_values;
using xgrad::testing::input;
using xgrad::testing::values;
using Inputs = std::vector<Tensor>;

namespace {

// One convolution to test: input (n, c, h, w), weight (o, c / groups, kh, kw), and its arguments.
struct Case {
  std::string name;
  Shape x, w;
  Size2 stride, dilation;
  Padding padding;
  int groups;
  bool bias;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"3x3, stride 1, no padding", {2, 3, 5, 6}, {4, 3, 3, 3}, 1, 1, 0, 1, true},
      {"batch of one, odd sizes, stride 2, padding 1",
       {1, 2, 7, 5},
       {3, 2, 3, 2},
       2,
       1,
       1,
       1,
       true},
      {"stride (2, 1), padding (0, 2), no bias",
       {2, 1, 6, 4},
       {2, 1, 2, 3},
       {2, 1},
       1,
       {0, 2},
       1,
       false},
      {"dilation 2", {1, 2, 7, 7}, {2, 2, 3, 3}, 1, 2, 1, 1, true},
      {"groups 2", {2, 4, 5, 5}, {6, 2, 3, 3}, 1, 1, 1, 2, true},
      {"depthwise (groups = channels), stride 3", {1, 3, 7, 8}, {3, 1, 2, 2}, 3, 1, 0, 3, false},
      {"same padding, even kernel", {1, 2, 5, 4}, {2, 2, 2, 4}, 1, 1, "same", 1, true},
      {"same padding with dilation", {2, 1, 6, 5}, {2, 1, 3, 2}, 1, {2, 3}, "same", 1, true},
      {"1x1 kernel", {2, 3, 3, 3}, {2, 3, 1, 1}, 1, 1, 0, 1, true},
  };
  return all;
}

// The definition, one output element at a time, with padding before and after the input.
std::vector<double> direct_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Case& c,
                                  const Shape& out) {
  const std::vector<double> xv = values(x), wv = values(w);
  const std::vector<double> bv = b.defined() ? values(b) : std::vector<double>(out[1], 0.0);
  const long n = static_cast<long>(c.x[0]), ci = static_cast<long>(c.x[1]);
  const long h = static_cast<long>(c.x[2]), wd = static_cast<long>(c.x[3]);
  const long o = static_cast<long>(c.w[0]), cg = static_cast<long>(c.w[1]);
  const long kh = static_cast<long>(c.w[2]), kw = static_cast<long>(c.w[3]);
  long ph = c.padding.h, pw = c.padding.w;
  if (c.padding.mode == "same") {
    ph = c.dilation.h * (kh - 1) / 2;
    pw = c.dilation.w * (kw - 1) / 2;
  }
  const long oh = static_cast<long>(out[2]), ow = static_cast<long>(out[3]);
  const long og = o / c.groups;
  std::vector<double> y;
  for (long s = 0; s < n; ++s)
    for (long oc = 0; oc < o; ++oc)
      for (long oy = 0; oy < oh; ++oy)
        for (long ox = 0; ox < ow; ++ox) {
          double total = bv[static_cast<std::size_t>(oc)];
          const long group = oc / og;
          for (long k = 0; k < cg; ++k)
            for (long i = 0; i < kh; ++i)
              for (long j = 0; j < kw; ++j) {
                const long iy = oy * c.stride.h + i * c.dilation.h - ph;
                const long ix = ox * c.stride.w + j * c.dilation.w - pw;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                const long channel = group * cg + k;
                total += xv[static_cast<std::size_t>(((s * ci + channel) * h + iy) * wd + ix)] *
                         wv[static_cast<std::size_t>(((oc * cg + k) * kh + i) * kw + j)];
              }
          y.push_back(total);
        }
  return y;
}

Tensor run(const Case& c, const Inputs& in) {
  return conv2d(in[0], in[1], c.bias ? in[2] : Tensor(), c.stride, c.padding, c.dilation, c.groups);
}

Inputs inputs_of(const Case& c) {
  Inputs in{input(c.x, 1), input(c.w, 2)};
  if (c.bias) in.push_back(input({c.w[0]}, 3));
  return in;
}

}  // namespace

TEST_CASE("conv2d equals the direct sum over each window, for every geometry", "[autograd][conv]") {
  for (const Case& c : cases()) {
    INFO(c.name);
    const Inputs in = inputs_of(c);
    const Tensor y = run(c, in);
    REQUIRE(y.dim() == 4);
    check_values(y, y.shape(),
                 direct_conv2d(in[0], in[1], c.bias ? in[2] : Tensor(), c, y.shape()));
  }
}

TEST_CASE("conv2d output sizes follow PyTorch's formula, same padding keeping the input's",
          "[autograd][conv]") {
  const Tensor x = input({1, 2, 7, 5}, 1);
  CHECK(conv2d(x, input({3, 2, 3, 2}, 2), Tensor(), 2, 1).shape() == Shape{1, 3, 4, 3});
  CHECK(conv2d(x, input({3, 2, 4, 4}, 2), Tensor(), 1, "same").shape() == Shape{1, 3, 7, 5});
  CHECK(conv2d(x, input({3, 2, 3, 3}, 2), Tensor(), 1, "valid").shape() == Shape{1, 3, 5, 3});
  CHECK(conv2d(x, input({3, 2, 3, 3}, 2), Tensor(), 1, 0, 2).shape() == Shape{1, 3, 3, 1});
}

TEST_CASE("conv2d of one unbatched sample equals the batch of one", "[autograd][conv]") {
  const Tensor x = input({2, 5, 4}, 1);
  const Tensor w = input({3, 2, 3, 3}, 2);
  const Tensor b = input({3}, 3);
  const Tensor one = conv2d(x, w, b, 1, 1);
  CHECK(one.shape() == Shape{3, 5, 4});
  CHECK(values(one) == values(conv2d(x.reshape({1, 2, 5, 4}), w, b, 1, 1)));
}

TEST_CASE("conv2d in float32 matches float64", "[autograd][conv]") {
  const Case& c = cases()[4];  // groups 2
  const Inputs in = inputs_of(c);
  const Tensor y32 = conv2d(in[0].to(float32), in[1].to(float32), in[2].to(float32), c.stride,
                            c.padding, c.dilation, c.groups);
  CHECK(y32.dtype() == float32);
  CHECK_THAT(values(y32), Catch::Matchers::Approx(values(run(c, in))).margin(1e-5));
}

TEST_CASE("conv2d gradients and second derivatives match finite differences",
          "[autograd][conv][gradcheck]") {
  for (const Case& c : cases()) {
    INFO(c.name);
    check_gradients_twice([&c](const Inputs& in) { return run(c, in); }, inputs_of(c));
  }
}

TEST_CASE("a large batch of small images (several samples per gemm) gives the same gradients",
          "[autograd][conv][gradcheck]") {
  // 40 samples of 2x2 outputs: the samples are packed into one gemm and staged back
  const Case c{"many samples", {40, 2, 3, 3}, {3, 2, 2, 2}, 1, 1, 0, 1, true};
  const Inputs in = inputs_of(c);
  check_values(run(c, in), {40, 3, 2, 2}, direct_conv2d(in[0], in[1], in[2], c, {40, 3, 2, 2}));
  check_gradients_twice([&c](const Inputs& x) { return run(c, x); }, in);
}

TEST_CASE("conv1d equals conv2d on a height of one, with gradients and second derivatives",
          "[autograd][conv][gradcheck]") {
  const Tensor x = input({2, 4, 9}, 1);
  const Tensor w = input({6, 2, 3}, 2);
  const Tensor b = input({6}, 3);
  const Tensor y = conv1d(x, w, b, 2, 1, 2, 2);
  const Tensor y2 =
      conv2d(x.reshape({2, 4, 1, 9}), w.reshape({6, 2, 1, 3}), b, {1, 2}, {0, 1}, {1, 2}, 2);
  CHECK(y.shape() == Shape{2, 6, 4});
  CHECK(values(y) == values(y2));
  CHECK(conv1d(x, w, b, 1, "same", 1, 2).shape() == Shape{2, 6, 9});
  CHECK(conv1d(input({4, 9}, 1), w, b, 1, 0, 1, 2).shape() == Shape{6, 7});
  check_gradients_twice([](const Inputs& in) { return conv1d(in[0], in[1], in[2], 2, 1, 2, 2); },
                        {x, w, b});
  check_gradients_twice([](const Inputs& in) { return conv1d(in[0], in[1], Tensor(), 1, "same"); },
                        {input({1, 3, 6}, 4), input({2, 3, 4}, 5)});
}

TEST_CASE("conv2d's third derivative is a convolution too", "[autograd][conv][gradcheck]") {
  // The gradient of x with create_graph, differentiated twice more through gradgradcheck.
  const Case& c = cases()[1];
  check_gradients_twice(
      [&c](const Inputs& in) {
        enable_grad guard;  // gradcheck evaluates f without grad; this f needs a graph
        Tensor y = run(c, in);
        Tensor loss = (y * y).sum();
        const std::vector<Tensor> grads = autograd::grad({loss}, {in[0]}, {}, true, true);
        return grads[0];
      },
      inputs_of(c));
}

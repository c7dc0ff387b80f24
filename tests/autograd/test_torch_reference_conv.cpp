// Convolutions and pooling against PyTorch: tests/data/torch_reference_conv.txt, written by
// scripts/make_torch_reference_conv.py, holds torch's float64 outputs, gradients and second-order
// products for fixed inputs; each case is rebuilt here. PyTorch is not needed to run this.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "autograd/autograd.hpp"
#include "torch_reference.hpp"

namespace xgrad {
namespace {

using namespace torch_reference;

// A size per spatial axis from a parameter of one (1-D) or two (2-D) integers.
Size2 size2(const ReferenceCase& c, const std::string& key) {
  const std::vector<long> v = integers_param(c, key);
  if (v.size() == 1) return static_cast<int>(v[0]);
  return {static_cast<int>(v.at(0)), static_cast<int>(v.at(1))};
}

Padding padding_of(const ReferenceCase& c) {
  const std::vector<std::string>& tokens = param(c, "padding");
  if (tokens.at(0) == "same" || tokens.at(0) == "valid") return tokens[0].c_str();
  const Size2 s = size2(c, "padding");
  return {s.h, s.w};
}

Tensor apply(const ReferenceCase& c, const std::string& op, const std::vector<Tensor>& x) {
  const auto flag = [&](const char* key) { return integer_param(c, key) != 0; };
  const Tensor bias = x.size() > 2 ? x[2] : Tensor();
  if (op == "conv2d") {
    return conv2d(x.at(0), x.at(1), bias, size2(c, "stride"), padding_of(c), size2(c, "dilation"),
                  static_cast<int>(integer_param(c, "groups")));
  }
  if (op == "conv1d") {
    return conv1d(x.at(0), x.at(1), bias, size2(c, "stride").w, padding_of(c),
                  size2(c, "dilation").w, static_cast<int>(integer_param(c, "groups")));
  }
  if (op == "max_pool2d") {
    return max_pool2d(x.at(0), size2(c, "kernel_size"), size2(c, "stride"), size2(c, "padding"),
                      size2(c, "dilation"), flag("ceil_mode"));
  }
  if (op == "max_pool1d") {
    return max_pool1d(x.at(0), size2(c, "kernel_size").w, size2(c, "stride").w,
                      size2(c, "padding").w, size2(c, "dilation").w, flag("ceil_mode"));
  }
  if (op == "avg_pool2d") {
    return avg_pool2d(x.at(0), size2(c, "kernel_size"), size2(c, "stride"), size2(c, "padding"),
                      flag("ceil_mode"), flag("count_include_pad"));
  }
  if (op == "avg_pool1d") {
    return avg_pool1d(x.at(0), size2(c, "kernel_size").w, size2(c, "stride").w,
                      size2(c, "padding").w, flag("ceil_mode"), flag("count_include_pad"));
  }
  if (op == "adaptive_avg_pool2d") return adaptive_avg_pool2d(x.at(0), size2(c, "output_size"));
  throw std::runtime_error("unknown op '" + op + "' in case " + c.name);
}

// The case's op; a hvp_ case returns d/dx sum(op(...)^2) with its own graph, as the script does.
Tensor evaluate(const ReferenceCase& c, const std::vector<Tensor>& x) {
  if (!is_second_order(c)) return apply(c, c.op, x);
  const Tensor y = apply(c, c.op.substr(4), x);
  return first_gradient(sum(mul(y, y)), x.at(0));
}

}  // namespace

TEST_CASE("convolutions and pooling match PyTorch in value, gradient and second order",
          "[autograd][conv][pooling][torch]") {
  check_against_torch(
      "torch_reference_conv.txt",
      {"conv2d", "conv1d", "max_pool2d", "max_pool1d", "avg_pool2d", "avg_pool1d",
       "adaptive_avg_pool2d", "hvp_conv2d", "hvp_conv1d", "hvp_max_pool2d", "hvp_max_pool1d",
       "hvp_avg_pool2d", "hvp_avg_pool1d", "hvp_adaptive_avg_pool2d"},
      evaluate);
}

}  // namespace xgrad

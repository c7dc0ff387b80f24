// nn::Linear: one gemm with a transpose flag, plus the bias.
#include "nn/linear.hpp"

#include <stdexcept>
#include <string>

#include "autograd/factory.hpp"
#include "autograd/ops.hpp"

namespace xgrad::nn {

Linear::Linear(std::size_t in_features, std::size_t out_features, bool with_bias, Init init,
               Generator& generator, Dtype dtype)
    : in_features_(in_features), out_features_(out_features) {
  if (in_features == 0 || out_features == 0) {
    throw std::invalid_argument("Linear: need at least one input and one output feature; got " +
                                std::to_string(in_features) + " -> " +
                                std::to_string(out_features));
  }
  Tensor w = zeros({out_features, in_features}, dtype);
  Tensor b = with_bias ? zeros({out_features}, dtype) : Tensor();
  init::initialize(w, b, init, generator);
  weight = register_parameter("weight", w);
  if (with_bias) bias = register_parameter("bias", b);
}

Tensor Linear::forward(const Tensor& x) {
  if (!x.defined()) throw std::invalid_argument("Linear: input is undefined");
  const Shape shape = x.shape();
  if (shape.size() > 2) {
    throw std::invalid_argument("Linear: input of shape " + format_shape(shape) + " has rank " +
                                std::to_string(shape.size()) + "; the layer takes (N, " +
                                std::to_string(in_features_) + ") or (" +
                                std::to_string(in_features_) + ",)");
  }
  if (shape.empty() || shape.back() != in_features_) {
    throw std::invalid_argument("Linear: input of shape " + format_shape(shape) + " has " +
                                (shape.empty() ? std::string("no") : std::to_string(shape.back())) +
                                " features, layer expects " + std::to_string(in_features_));
  }
  if (x.dtype() != weight.dtype()) {
    throw std::invalid_argument(std::string("Linear: input is ") + dtype_name(x.dtype()) +
                                ", layer is " + dtype_name(weight.dtype()) +
                                " (convert one with to())");
  }
  // y[N, out] = x[N, in] @ W[out, in]^T + b: one gemm, the transpose a flag and the bias added
  // inside it (rows are copied from b, then the product is accumulated onto them).
  return xgrad::linear(x, weight, bias);
}

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_features_) +
         ", out_features=" + std::to_string(out_features_) +
         ", bias=" + (bias.defined() ? "true" : "false");
}

}  // namespace xgrad::nn

// nn::Linear: y = x W^T + b, with W stored (out_features, in_features) as in PyTorch.
#pragma once

#include <cstddef>

#include "autograd/random.hpp"
#include "nn/init.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

class Linear : public Module {
 public:
  /// Throws std::invalid_argument for zero features.
  Linear(std::size_t in_features, std::size_t out_features, bool bias = true,
         Init init = Init::kaiming_uniform, Generator& generator = default_generator(),
         Dtype dtype = float32);

  /// x of shape (N, in_features) or (in_features,) -> (N, out_features) or (out_features,).
  /// Throws std::invalid_argument "Linear: input has 5 features, layer expects 4".
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  std::size_t in_features() const { return in_features_; }
  std::size_t out_features() const { return out_features_; }

  Tensor weight;  // (out_features, in_features)
  Tensor bias;    // (out_features,), undefined without bias

 private:
  std::size_t in_features_;
  std::size_t out_features_;
};

}  // namespace xgrad::nn

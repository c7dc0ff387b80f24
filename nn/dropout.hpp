// nn::Dropout: zeroes entries with probability p in training mode and scales the rest by
// 1 / (1 - p); the identity in evaluation mode.
#pragma once

#include "autograd/random.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

class Dropout : public Module {
 public:
  /// Throws std::invalid_argument unless 0 <= p <= 1. Draws its masks from `generator`, which must
  /// outlive the layer.
  explicit Dropout(double p = 0.5, Generator& generator = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  double p_;
  Generator* generator_;
};

}  // namespace xgrad::nn

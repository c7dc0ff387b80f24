// Activation layers: module forms of the autograd activations, for use in Sequential.
#pragma once

#include "nn/module.hpp"

namespace xgrad::nn {

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  double negative_slope_;
};

class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) override;
};

class Tanh : public Module {
 public:
  Tensor forward(const Tensor& x) override;
};

/// Softmax over `axis` (default: the last, the class axis of (N, C) logits).
class Softmax : public Module {
 public:
  explicit Softmax(long axis = -1) : axis_(axis) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  long axis_;
};

class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(long axis = -1) : axis_(axis) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  long axis_;
};

}  // namespace xgrad::nn

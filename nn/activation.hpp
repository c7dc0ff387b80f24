// Activation layers: module forms of the autograd activations, for use in Sequential.
#pragma once

#include <string>

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

/// Gaussian error linear unit; approximate "none" (exact, erf) or "tanh". Throws
/// std::invalid_argument for any other approximate.
class GELU : public Module {
 public:
  explicit GELU(std::string approximate = "none");
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  std::string approximate_;
};

/// x sigmoid(x).
class SiLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
};

/// x for x > 0, alpha (exp(x) - 1) otherwise. Throws std::invalid_argument for a non-finite alpha.
class ELU : public Module {
 public:
  explicit ELU(double alpha = 1.0);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  double alpha_;
};

/// x limited to [min_val, max_val]. Throws std::invalid_argument if min_val > max_val.
class Hardtanh : public Module {
 public:
  explicit Hardtanh(double min_val = -1.0, double max_val = 1.0);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  double min_val_, max_val_;
};

}  // namespace xgrad::nn

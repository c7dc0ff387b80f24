// models::InputScaler: a layer that scales inputs by statistics fitted on training data, kept as
// buffers so they are saved and converted with the model.
#pragma once

#include <cstddef>

#include "models/fit_options.hpp"
#include "nn/module.hpp"

namespace xgrad::models {

/// y = (x - shift) * scale per feature, for inputs (N, features).
class InputScaler : public nn::Module {
 public:
  InputScaler(std::size_t features, Normalization normalization, Dtype dtype = float32);
  /// Fits shift and scale on x (N, features) for the chosen normalization. A constant feature (or
  /// a constant array, for global_minmax) gets scale 1, so it maps to a constant, not a division
  /// by zero.
  void fit(const Tensor& x);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  Normalization normalization() const { return normalization_; }
  const Tensor& shift() const { return shift_; }
  const Tensor& scale() const { return scale_; }

 private:
  Normalization normalization_;
  Tensor shift_;
  Tensor scale_;
};

}  // namespace xgrad::models

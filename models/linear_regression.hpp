// models::LinearRegression: y = X w + b, any number of features, fitted by gradient descent on the
// mean squared error through the autograd engine.
#pragma once

#include <cstdint>
#include <optional>

#include "autograd/random.hpp"
#include "models/estimator.hpp"
#include "nn/init.hpp"

namespace xgrad::models {

class LinearRegression : public Estimator {
 public:
  struct Options {
    /// Zero weights and bias (the loss is convex: any start reaches the same optimum). The
    /// notebook started from nn::Init::uniform_unit, weights and bias uniform in [0, 1).
    nn::Init init = nn::Init::zeros;
    /// Seeds the initial weights; unset, a seed is drawn from the default generator when the
    /// network is built, so xgrad::manual_seed(s) reproduces a whole run.
    std::optional<std::uint64_t> seed;
    /// Standardize each feature inside the model (statistics from the training rows, saved with
    /// it), so unscaled data trains at the default learning rate. The notebook used none.
    Normalization normalization = Normalization::standard;
    /// Train on half the MSE, sum (y_hat - y)^2 / 2N, as the notebook did (so its learning rates
    /// carry over); losses reported are then halved too.
    bool half_mse = false;
    Dtype dtype = float32;
  };

  LinearRegression() : LinearRegression(Options{}) {}
  explicit LinearRegression(Options options);

  /// Fits on X (N, D) and y (N,) or (N, k). Throws std::invalid_argument for mismatched shapes,
  /// NaN or infinity in the data, or bad options.
  const nn::History& fit(const Tensor& x, const Tensor& y, const TrainOptions& options = {});
  /// Predictions (N,) (or (N, k) for k targets), in the model's dtype.
  Tensor predict(const Tensor& x) const;
  /// The coefficient of determination R^2 of predict(x) against y.
  double score(const Tensor& x, const Tensor& y) const;
  /// The weights in the units of the original inputs, (D,) (or (k, D)), and the intercept(s):
  /// the input scaling, if any, is folded back in.
  Tensor coef() const;
  Tensor intercept() const;

 protected:
  void build(std::size_t n_features, std::size_t n_outputs) override;

 private:
  Options options_;
};

}  // namespace xgrad::models

// models::LogisticRegression: binary (sigmoid of X w + b) or multinomial (softmax) classification,
// fitted by gradient descent on cross-entropy computed from logits.
#pragma once

#include <cstdint>

#include "autograd/random.hpp"
#include "models/estimator.hpp"
#include "nn/init.hpp"

namespace xgrad::models {

class LogisticRegression : public Estimator {
 public:
  struct Options {
    /// Softmax over k classes instead of one sigmoid; chosen automatically when y has more than
    /// two classes.
    bool multinomial = false;
    /// The notebook's start: weights and bias uniform in [0, 1) from `seed`.
    nn::Init init = nn::Init::uniform_unit;
    std::uint64_t seed = 0;
    Normalization normalization = Normalization::none;
    Dtype dtype = float32;
  };

  LogisticRegression() : LogisticRegression(Options{}) {}
  explicit LogisticRegression(Options options);

  /// Fits on X (N, D) and class indices y (N,) (0/1 for binary). Throws std::invalid_argument for
  /// mismatched shapes, labels that are not class indices, NaN in the data or bad options.
  const nn::History& fit(const Tensor& x, const Tensor& y, const FitOptions& options = {});
  /// P(class 1) (N,) for a binary model; class probabilities (N, k) for a multinomial one.
  Tensor predict_proba(const Tensor& x) const;
  /// Class indices (N,): P(class 1) > threshold for a binary model (threshold in [0, 1]), the
  /// most probable class for a multinomial one.
  Tensor predict(const Tensor& x, double threshold = 0.5) const;
  /// Accuracy of predict(x) against y.
  double score(const Tensor& x, const Tensor& y) const;
  /// The raw scores X w + b: (N,) binary, (N, k) multinomial.
  Tensor decision_function(const Tensor& x) const;
  bool multinomial() const { return n_outputs_ > 1; }

 protected:
  void build(std::size_t n_features, std::size_t n_outputs) override;

 private:
  Options options_;
};

}  // namespace xgrad::models

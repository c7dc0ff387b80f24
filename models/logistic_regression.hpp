// models::LogisticRegression: binary (sigmoid of X w + b) or multinomial (softmax) classification,
// fitted by gradient descent on cross-entropy computed from logits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

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
    /// The number of classes; 0 takes the number of distinct labels in y, which must then be
    /// 0..k-1. Set it when a training set may lack some class.
    std::size_t num_classes = 0;
    /// Zero weights and bias (the loss is convex: any start reaches the same optimum). The
    /// notebook started from nn::Init::uniform_unit, weights and bias uniform in [0, 1).
    nn::Init init = nn::Init::zeros;
    /// Seeds the initial weights; unset, a seed is drawn from the default generator when the
    /// network is built, so xgrad::manual_seed(s) reproduces a whole run.
    std::optional<std::uint64_t> seed;
    /// Standardize each feature inside the model (statistics from the training rows, saved with
    /// it), so unscaled data trains at the default learning rate. The notebook used none.
    Normalization normalization = Normalization::standard;
    Dtype dtype = float32;
  };

  LogisticRegression() : LogisticRegression(Options{}) {}
  explicit LogisticRegression(Options options);

  /// Fits on X (N, D) and class indices y (N,) (0/1 for binary). Throws std::invalid_argument for
  /// mismatched shapes, labels that are not class indices, NaN in the data or bad options.
  const nn::History& fit(const Tensor& x, const Tensor& y, const TrainOptions& options = {});
  /// P(class 1) (N,) for a binary model; class probabilities (N, k) for a multinomial one.
  Tensor predict_proba(const Tensor& x) const;
  /// Class indices, int64 (N,): P(class 1) > threshold for a binary model (threshold in [0, 1]),
  /// the most probable class for a multinomial one.
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

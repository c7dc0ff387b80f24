// models::LogisticRegression: an InputScaler and one Linear layer, trained on BCE with logits
// (binary) or cross-entropy (multinomial).
#include "models/logistic_regression.hpp"

#include <cmath>
#include <stdexcept>

#include "autograd/ops.hpp"
#include "nn/linear.hpp"
#include "nn/metrics.hpp"

namespace xgrad::models {

LogisticRegression::LogisticRegression(Options options)
    : Estimator("LogisticRegression", options.normalization, options.dtype), options_(options) {}

void LogisticRegression::build(std::size_t n_features, std::size_t n_outputs) {
  Generator generator(seed_or_default(options_.seed));
  scaler_ = std::make_shared<InputScaler>(n_features, normalization_, dtype_);
  network_ = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      scaler_,
      std::make_shared<nn::Linear>(n_features, n_outputs, true, options_.init, generator, dtype_)});
}

const nn::History& LogisticRegression::fit(const Tensor& x, const Tensor& y,
                                           const TrainOptions& options) {
  if (!x.defined() || x.dim() != 2) {
    throw std::invalid_argument("LogisticRegression.fit: X must be 2-D (N, features); got " +
                                (x.defined() ? format_shape(x.shape()) : std::string("undefined")));
  }
  const std::size_t classes =
      class_count("LogisticRegression.fit", y, x.size(0), options_.num_classes);
  const bool multi = options_.multinomial || classes > 2;
  const Tensor inputs = to(x.detach(), dtype_);
  const Tensor labels = to(y.detach(), dtype_);
  if (multi) {
    nn::LossFunction loss = [](const Tensor& logits, const Tensor& target) {
      return cross_entropy(logits, target);
    };
    train(inputs, labels, classes, options, loss, true, classes);
  } else {
    // Targets as a (N, 1) column to match the single logit per row.
    const Tensor column = reshape(labels, {-1, 1});
    nn::LossFunction loss = [](const Tensor& logits, const Tensor& target) {
      return binary_cross_entropy_with_logits(logits, target);
    };
    // Stratify on the labels: a column of 0/1 is split by rows like the vector.
    train(inputs, column, 1, options, loss, false, 2);
  }
  return history_;
}

Tensor LogisticRegression::decision_function(const Tensor& x) const {
  Tensor z = forward("decision_function", x);
  return multinomial() ? z : reshape(z, {-1});
}

Tensor LogisticRegression::predict_proba(const Tensor& x) const {
  Tensor z = decision_function(x);
  return multinomial() ? softmax(z, 1) : sigmoid(z);
}

Tensor LogisticRegression::predict(const Tensor& x, double threshold) const {
  if (!(threshold >= 0 && threshold <= 1)) {
    throw std::invalid_argument("LogisticRegression.predict: threshold must be in [0, 1], got " +
                                format_number(threshold));
  }
  Tensor p = predict_proba(x);
  if (!multinomial()) return to(metrics::binarize(p, threshold), int64);
  return most_probable_class(p);
}

double LogisticRegression::score(const Tensor& x, const Tensor& y) const {
  class_labels("LogisticRegression.score", y, x.defined() && x.dim() > 0 ? x.size(0) : 0);
  return metrics::accuracy(predict(x), to(y.detach(), dtype_));
}

}  // namespace xgrad::models

// models::LinearRegression: an InputScaler and one Linear layer, trained on MSE.
#include "models/linear_regression.hpp"

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "nn/linear.hpp"
#include "nn/metrics.hpp"

namespace xgrad::models {

LinearRegression::LinearRegression(Options options)
    : Estimator("LinearRegression", options.normalization, options.dtype), options_(options) {}

void LinearRegression::build(std::size_t n_features, std::size_t n_outputs) {
  Generator generator(seed_or_default(options_.seed));
  scaler_ = std::make_shared<InputScaler>(n_features, normalization_, dtype_);
  network_ = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      scaler_,
      std::make_shared<nn::Linear>(n_features, n_outputs, true, options_.init, generator, dtype_)});
}

const nn::History& LinearRegression::fit(const Tensor& x, const Tensor& y,
                                         const TrainOptions& options) {
  if (!x.defined() || x.dim() != 2) {
    throw std::invalid_argument("LinearRegression.fit: X must be 2-D (N, features); got " +
                                (x.defined() ? format_shape(x.shape()) : std::string("undefined")));
  }
  const Tensor inputs = to(x.detach(), dtype_);
  const Tensor targets = regression_targets("LinearRegression.fit", y, x.size(0), dtype_);
  const bool half = options_.half_mse;
  nn::LossFunction loss = [half](const Tensor& prediction, const Tensor& target) {
    Tensor mse = mse_loss(prediction, target);
    return half ? mse * 0.5 : mse;
  };
  train(inputs, targets, targets.size(1), options, loss, false);
  return history_;
}

Tensor LinearRegression::predict(const Tensor& x) const {
  Tensor out = forward("predict", x);
  return n_outputs_ == 1 ? reshape(out, {-1}) : out;
}

double LinearRegression::score(const Tensor& x, const Tensor& y) const {
  const Tensor targets = regression_targets("LinearRegression.score", y, x.size(0), dtype_);
  Tensor prediction = forward("score", x);
  return metrics::r2_score(prediction, targets);
}

Tensor LinearRegression::coef() const {
  // y = ((x - shift) * scale) W^T + b = x (W * scale)^T + (b - W (shift * scale))
  const auto& linear = dynamic_cast<const nn::Linear&>(*module()[1]);
  no_grad guard;
  Tensor w = linear.weight * scaler_->scale();
  return n_outputs_ == 1 ? reshape(w, {-1}) : w;
}

Tensor LinearRegression::intercept() const {
  const auto& linear = dynamic_cast<const nn::Linear&>(*module()[1]);
  no_grad guard;
  return linear.bias - matmul(linear.weight, scaler_->shift() * scaler_->scale());
}

}  // namespace xgrad::models

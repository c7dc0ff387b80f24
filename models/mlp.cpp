// models::MLP: InputScaler, then Linear + activation (+ Dropout) per hidden layer, then a linear
// output trained on MSE, BCE with logits or cross-entropy.
#include "models/mlp.hpp"

#include <stdexcept>

#include "autograd/ops.hpp"
#include "nn/activation.hpp"
#include "nn/dropout.hpp"
#include "nn/linear.hpp"
#include "nn/metrics.hpp"

namespace xgrad::models {

namespace {

std::shared_ptr<nn::Module> make_activation(Activation activation) {
  switch (activation) {
    case Activation::relu:
      return std::make_shared<nn::ReLU>();
    case Activation::sigmoid:
      return std::make_shared<nn::Sigmoid>();
    case Activation::tanh:
      return std::make_shared<nn::Tanh>();
    case Activation::leaky_relu:
      return std::make_shared<nn::LeakyReLU>(0.01);
  }
  throw std::invalid_argument("MLP: unknown activation");
}

}  // namespace

const char* task_name(Task task) {
  switch (task) {
    case Task::regression:
      return "regression";
    case Task::binary:
      return "binary";
    case Task::multiclass:
      return "multiclass";
  }
  return "unknown";
}

Task parse_task(const std::string& name) {
  for (Task t : {Task::regression, Task::binary, Task::multiclass}) {
    if (name == task_name(t)) return t;
  }
  throw std::invalid_argument("unknown task '" + name + "' (use regression, binary or multiclass)");
}

const char* activation_name(Activation activation) {
  switch (activation) {
    case Activation::relu:
      return "relu";
    case Activation::sigmoid:
      return "sigmoid";
    case Activation::tanh:
      return "tanh";
    case Activation::leaky_relu:
      return "leaky_relu";
  }
  return "unknown";
}

Activation parse_activation(const std::string& name) {
  for (Activation a :
       {Activation::relu, Activation::sigmoid, Activation::tanh, Activation::leaky_relu}) {
    if (name == activation_name(a)) return a;
  }
  throw std::invalid_argument("unknown activation '" + name +
                              "' (use relu, sigmoid, tanh or leaky_relu)");
}

MLP::MLP(Options options)
    : Estimator("MLP", options.normalization, options.dtype), options_(std::move(options)) {
  for (std::size_t units : options_.hidden) {
    if (units == 0) throw std::invalid_argument("MLP: a hidden layer has 0 units");
  }
  if (!(options_.dropout >= 0 && options_.dropout < 1)) {
    throw std::invalid_argument("MLP: dropout must be in [0, 1), got " +
                                format_number(options_.dropout));
  }
}

void MLP::build(std::size_t n_features, std::size_t n_outputs) {
  Generator generator(seed_or_default(options_.seed));
  scaler_ = std::make_shared<InputScaler>(n_features, normalization_, dtype_);
  auto net = std::make_shared<nn::Sequential>();
  net->push_back(scaler_);
  std::size_t width = n_features;
  for (std::size_t units : options_.hidden) {
    net->push_back(
        std::make_shared<nn::Linear>(width, units, true, options_.init, generator, dtype_));
    net->push_back(make_activation(options_.activation));
    // The layer draws its masks from the global generator; seed it for reproducible dropout.
    if (options_.dropout > 0) net->push_back(std::make_shared<nn::Dropout>(options_.dropout));
    width = units;
  }
  net->push_back(
      std::make_shared<nn::Linear>(width, n_outputs, true, options_.init, generator, dtype_));
  if (options_.activation_on_output) net->push_back(make_activation(options_.activation));
  network_ = net;
}

const nn::History& MLP::fit(const Tensor& x, const Tensor& y, const TrainOptions& options) {
  if (!x.defined() || x.dim() != 2) {
    throw std::invalid_argument("MLP.fit: X must be 2-D (N, features); got " +
                                (x.defined() ? format_shape(x.shape()) : std::string("undefined")));
  }
  const Tensor inputs = to(x.detach(), dtype_);
  switch (options_.task) {
    case Task::regression: {
      const Tensor targets = regression_targets("MLP.fit", y, x.size(0), dtype_);
      train(
          inputs, targets, targets.size(1), options,
          [](const Tensor& p, const Tensor& t) { return mse_loss(p, t); }, false);
      break;
    }
    case Task::binary: {
      const std::size_t classes = class_count("MLP.fit", y, x.size(0), options_.num_classes);
      if (classes > 2) {
        throw std::invalid_argument("MLP.fit: task is binary but y has " + std::to_string(classes) +
                                    " classes");
      }
      train(
          inputs, reshape(to(y.detach(), dtype_), {-1, 1}), 1, options,
          [](const Tensor& z, const Tensor& t) { return binary_cross_entropy_with_logits(z, t); },
          false, 2);
      break;
    }
    case Task::multiclass: {
      const std::size_t classes = class_count("MLP.fit", y, x.size(0), options_.num_classes);
      train(
          inputs, to(y.detach(), dtype_), classes, options,
          [](const Tensor& z, const Tensor& t) { return cross_entropy(z, t); }, true, classes);
      break;
    }
  }
  return history_;
}

Tensor MLP::predict_proba(const Tensor& x) const {
  if (options_.task == Task::regression) {
    throw std::logic_error("MLP.predict_proba: a regression model has no class probabilities");
  }
  Tensor z = forward("predict_proba", x);
  return options_.task == Task::binary ? reshape(sigmoid(z), {-1}) : softmax(z, 1);
}

Tensor MLP::predict(const Tensor& x) const {
  if (options_.task == Task::regression) {
    Tensor out = forward("predict", x);
    return n_outputs_ == 1 ? reshape(out, {-1}) : out;
  }
  Tensor p = predict_proba(x);
  if (options_.task == Task::binary) return to(metrics::binarize(p, 0.5), int64);
  return most_probable_class(p);
}

double MLP::score(const Tensor& x, const Tensor& y) const {
  if (options_.task == Task::regression) {
    const Tensor targets = regression_targets("MLP.score", y, x.size(0), dtype_);
    Tensor prediction = forward("score", x);
    return metrics::r2_score(prediction, targets);
  }
  return metrics::accuracy(predict(x), to(y.detach(), dtype_));
}

}  // namespace xgrad::models

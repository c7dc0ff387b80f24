// models::Estimator: fitting, checks, saving and loading shared by every model.
#include "models/estimator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "autograd/factory.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "nn/data/preprocessing.hpp"
#include "nn/linear.hpp"
#include "nn/metrics.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/rmsprop.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/serialize.hpp"

namespace xgrad::models {

namespace {

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainOptions& o,
                                                 std::vector<Tensor> params) {
  switch (o.optimizer) {
    case Solver::sgd:
      return std::make_unique<optim::SGD>(std::move(params), o.learning_rate);
    case Solver::momentum:
      return std::make_unique<optim::SGD>(std::move(params), o.learning_rate, o.momentum);
    case Solver::nesterov:
      return std::make_unique<optim::SGD>(std::move(params), o.learning_rate, o.momentum, 0.0, 0.0,
                                          true);
    case Solver::adam:
      return std::make_unique<optim::Adam>(std::move(params), o.learning_rate);
    case Solver::adamw:
      return std::make_unique<optim::AdamW>(std::move(params), o.learning_rate);
    case Solver::rmsprop:
      return std::make_unique<optim::RMSprop>(std::move(params), o.learning_rate);
  }
  throw std::invalid_argument("fit: unknown optimizer");
}

}  // namespace

Estimator::Estimator(std::string name, Normalization normalization, Dtype dtype)
    : name_(std::move(name)), normalization_(normalization), dtype_(dtype) {}

nn::Sequential& Estimator::module() const {
  if (!network_) throw std::runtime_error(name_ + ": the model has not been fitted or loaded");
  return *network_;
}

Tensor Estimator::check_input(const char* method, const Tensor& x) const {
  const std::string who = name_ + "." + method;
  if (!network_) throw std::runtime_error(who + ": the model has not been fitted or loaded");
  if (!x.defined()) throw std::invalid_argument(who + ": X is undefined");
  if (x.dim() != 2 || x.size(1) != n_features_) {
    throw std::invalid_argument(who + ": X has shape " + format_shape(x.shape()) +
                                "; the model expects (N, " + std::to_string(n_features_) + ")");
  }
  if (x.size(0) == 0) throw std::invalid_argument(who + ": X has no rows");
  return to(x.detach(), dtype_);
}

Tensor Estimator::forward(const char* method, const Tensor& x) const {
  Tensor input = check_input(method, x);
  const bool was_training = network_->is_training();
  network_->eval();
  no_grad guard;
  Tensor out = network_->forward(input);
  network_->train(was_training);
  return out;
}

std::vector<Tensor> Estimator::weights() const {
  std::vector<Tensor> out;
  for (const auto& child : module().children()) {
    if (auto linear = std::dynamic_pointer_cast<nn::Linear>(child)) out.push_back(linear->weight);
  }
  return out;
}

nn::History Estimator::train(const Tensor& x, const Tensor& y, std::size_t n_outputs,
                             const TrainOptions& o, const nn::LossFunction& loss, bool stratify,
                             std::size_t n_classes) {
  const std::string who = name_ + ".fit";
  if (!(o.l2 >= 0) || !std::isfinite(o.l2)) {
    throw std::invalid_argument(who + ": l2 must be finite and >= 0, got " + format_number(o.l2));
  }
  if (!(o.validation_fraction >= 0 && o.validation_fraction < 1)) {
    throw std::invalid_argument(who + ": validation_fraction must be in [0, 1), got " +
                                format_number(o.validation_fraction));
  }
  const std::uint64_t seed = seed_or_default(o.seed);
  Tensor x_train = x, y_train = y, x_val, y_val;
  if (o.validation_fraction > 0) {
    data::TrainTestSplit split =
        data::train_test_split(x, y, o.validation_fraction, seed, stratify);
    x_train = split.x_train, y_train = split.y_train;
    x_val = split.x_test, y_val = split.y_test;
    if (n_classes > 0) {
      check_every_class(who.c_str(), reshape(y_train, {-1}), n_classes,
                        "the validation split (validation_fraction " +
                            format_number(o.validation_fraction) + ")");
    }
  }
  // A fresh network each fit, as scikit-learn's fit starts over.
  n_features_ = x.size(1);
  n_outputs_ = n_outputs;
  build(n_features_, n_outputs_);
  scaler_->fit(x_train);

  const std::vector<Tensor> penalized = weights();
  const double l2 = o.l2;
  nn::LossFunction objective = loss;
  if (l2 > 0) {
    objective = [loss, penalized, l2](const Tensor& prediction, const Tensor& target) {
      Tensor value = loss(prediction, target);
      // The penalty is part of training only; validation reports the plain loss.
      return GradMode::is_enabled() ? value + nn::l2_penalty(penalized) * (l2 / 2) : value;
    };
  }
  std::unique_ptr<optim::Optimizer> optimizer = make_optimizer(o, network_->parameters());

  nn::FitOptions fit;
  fit.epochs = o.epochs;
  fit.batch_size = o.batch_size == 0 ? x_train.size(0) : o.batch_size;
  fit.shuffle = o.shuffle;
  fit.seed = seed;
  fit.accumulate_steps = o.accumulate_steps;
  fit.clip_grad_norm = o.clip_grad_norm;
  fit.early_stopping = o.early_stopping;
  fit.monitor = x_val.defined() ? "val_loss" : "train_loss";
  fit.patience = o.patience;
  fit.min_delta = o.min_delta;
  fit.restore_best = o.early_stopping;
  fit.checkpoint_path = o.checkpoint_path;
  fit.callbacks = o.callbacks;
  fit.verbosity = o.verbosity;
  fit.distributed = o.distributed;

  data::Dataset train_set(x_train, y_train);
  std::unique_ptr<data::Dataset> val_set;
  if (x_val.defined()) val_set = std::make_unique<data::Dataset>(x_val, y_val);
  history_ = nn::fit(*network_, *optimizer, objective, train_set, val_set.get(), fit);
  return history_;
}

void Estimator::save(const std::string& path) const {
  nn::save(module(), path);
}

void Estimator::load(const std::string& path) {
  const nn::NamedTensors state = nn::load(path);
  std::size_t features = 0, outputs = 0;
  for (const auto& [name, tensor] : state) {
    if (name == "0.shift") features = tensor.numel();
    const bool weight = name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
    if (weight && tensor.dim() == 2) outputs = tensor.size(0);  // the last Linear's rows
  }
  if (features == 0 || outputs == 0) {
    throw std::invalid_argument(name_ + ".load: '" + path +
                                "' is not a checkpoint of an xgrad model (no input statistics "
                                "or no Linear weights)");
  }
  // Build into fresh members and swap them in only when the state fits, so an error leaves the
  // model as it was.
  auto previous_network = network_;
  auto previous_scaler = scaler_;
  const std::size_t previous_features = n_features_, previous_outputs = n_outputs_;
  try {
    n_features_ = features;
    n_outputs_ = outputs;
    build(features, outputs);
    network_->load_state_dict(state);
  } catch (...) {
    network_ = previous_network;
    scaler_ = previous_scaler;
    n_features_ = previous_features;
    n_outputs_ = previous_outputs;
    throw;
  }
  history_ = nn::History();
}

Tensor regression_targets(const char* who, const Tensor& y, std::size_t rows, Dtype dtype) {
  if (!y.defined()) throw std::invalid_argument(std::string(who) + ": y is undefined");
  const Shape shape = y.shape();
  const bool column = shape.size() == 2 && shape[1] >= 1;
  if (!(shape.size() == 1 || column) || shape[0] != rows) {
    throw std::invalid_argument(std::string(who) + ": y has shape " + format_shape(shape) +
                                "; expected (" + std::to_string(rows) + ",) or (" +
                                std::to_string(rows) + ", k) for X with " + std::to_string(rows) +
                                " rows");
  }
  Tensor out = to(y.detach(), dtype);
  return shape.size() == 1 ? reshape(out, {static_cast<long>(rows), 1}) : out;
}

std::vector<std::int64_t> class_labels(const char* who, const Tensor& y, std::size_t rows) {
  if (!y.defined()) throw std::invalid_argument(std::string(who) + ": y is undefined");
  if (y.dim() != 1 || y.size(0) != rows) {
    throw std::invalid_argument(std::string(who) + ": y has shape " + format_shape(y.shape()) +
                                "; expected class indices of shape (" + std::to_string(rows) +
                                ",)");
  }
  if (y.dtype() == int64) {
    std::vector<std::int64_t> labels = y.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] < 0) {
        throw std::invalid_argument(std::string(who) + ": y[" + std::to_string(i) +
                                    "] = " + std::to_string(labels[i]) +
                                    " is not a class index (0, 1, ...)");
      }
    }
    return labels;
  }
  std::vector<std::int64_t> labels(rows);
  dispatch(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto& v = y.data<T>();
    for (std::size_t i = 0; i < v.size(); ++i) {
      const double label = static_cast<double>(v(i));
      // Checked before the conversion: a label beyond int64 would be undefined behaviour.
      if (!(label >= 0 && label < 9.2e18) || std::floor(label) != label) {
        throw std::invalid_argument(std::string(who) + ": y[" + std::to_string(i) + "] = " +
                                    format_number(label) + " is not a class index (0, 1, ...)");
      }
      labels[i] = static_cast<std::int64_t>(label);
    }
  });
  return labels;
}

std::size_t class_count(const char* who, const Tensor& y, std::size_t rows,
                        std::size_t num_classes) {
  const std::vector<std::int64_t> labels = class_labels(who, y, rows);
  // The distinct labels, found by sorting a copy: nothing here grows with a label's value, so one
  // label of 1e9 costs no more than a label of 1.
  std::vector<std::int64_t> distinct = labels;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (distinct.size() < 2) {
    throw std::invalid_argument(
        std::string(who) + ": needs samples of at least 2 classes; y holds " +
        (distinct.empty() ? std::string("no rows") : "only class " + std::to_string(distinct[0])));
  }
  const std::size_t k = num_classes > 0 ? num_classes : distinct.size();
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (static_cast<std::uint64_t>(labels[i]) < k) continue;
    if (num_classes > 0) {
      throw std::invalid_argument(
          std::string(who) + ": y[" + std::to_string(i) + "] = " + std::to_string(labels[i]) +
          " is out of range for num_classes " + std::to_string(num_classes));
    }
    // Inferred: the k distinct labels must be 0..k-1, so a skipped class, or one wild label,
    // is an error rather than a model with an output for every number up to it.
    throw std::invalid_argument(
        std::string(who) + ": y[" + std::to_string(i) + "] = " + std::to_string(labels[i]) +
        " is not one of the classes 0.." + std::to_string(k - 1) + " (y has " + std::to_string(k) +
        " distinct labels, which must be 0..k-1); relabel y, or set num_classes when some "
        "classes have no samples");
  }
  return k;
}

void check_every_class(const char* who, const Tensor& y, std::size_t classes,
                       const std::string& cause) {
  const std::vector<std::int64_t> labels = class_labels(who, y, y.defined() ? y.numel() : 0);
  std::vector<char> seen(classes, 0);
  for (std::int64_t label : labels) {
    if (static_cast<std::uint64_t>(label) < classes) seen[static_cast<std::size_t>(label)] = 1;
  }
  for (std::size_t c = 0; c < classes; ++c) {
    if (!seen[c]) {
      throw std::invalid_argument(std::string(who) + ": " + cause + " left class " +
                                  std::to_string(c) + " out of the training rows (" +
                                  std::to_string(labels.size()) + " training rows for " +
                                  std::to_string(classes) + " classes)");
    }
  }
}

Tensor most_probable_class(const Tensor& p) {
  const std::vector<std::int64_t> best = metrics::argmax(p, 1);
  return from_vector(best, {best.size()}, int64);
}

}  // namespace xgrad::models

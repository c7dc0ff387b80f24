// How the models train: the options every model's fit() takes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "nn/trainer.hpp"

namespace xgrad::models {

/// The optimizer fit() builds over the model's parameters.
enum class Optimizer { sgd, momentum, nesterov, adam, adamw, rmsprop };

/// "sgd", "momentum", ...; and back. The parser throws std::invalid_argument for an unknown name.
const char* optimizer_name(Optimizer optimizer);
Optimizer parse_optimizer(const std::string& name);

/// How inputs are scaled before the first layer; the statistics are fitted on the training rows
/// only and saved with the model.
enum class Normalization {
  none,
  standard,       // per feature: (x - mean) / std
  minmax,         // per feature: onto [-1, 1]
  global_minmax,  // the notebooks' normalize(x): one min and max over all features, onto [-1, 1]
};

const char* normalization_name(Normalization normalization);
Normalization parse_normalization(const std::string& name);

struct FitOptions {
  std::size_t epochs = 1000;
  /// Rows per step; 0 means full-batch gradient descent (every row in every step).
  std::size_t batch_size = 0;
  double learning_rate = 0.1;
  Optimizer optimizer = Optimizer::sgd;
  double momentum = 0.9;  // for momentum and nesterov
  /// L2 regularization: adds (l2 / 2) * sum of the squared weights (not the biases) to the loss.
  double l2 = 0;
  /// Fraction of rows held out (stratified for classifiers) to report val_loss each epoch.
  double validation_fraction = 0;
  /// Stop when the monitored loss (val_loss with a validation split, else train_loss) has not
  /// improved by more than min_delta for `patience` epochs in a row; the best weights are kept.
  /// patience 0 and min_delta 1e-7 on the training loss is the notebooks' rule.
  bool early_stopping = false;
  std::size_t patience = 0;
  double min_delta = 1e-7;
  std::uint64_t seed = 0;  // shuffling and the validation split
  bool shuffle = true;
  std::size_t accumulate_steps = 1;
  double clip_grad_norm = 0;
  std::string checkpoint_path;
  std::vector<nn::Callback> callbacks;
  nn::Verbosity verbosity = nn::Verbosity::silent;
  /// Data-parallel training on several processes: nn::FitOptions::distributed (set on every rank;
  /// each holds all the data, the scaler and split come out the same everywhere).
  nn::DistributedContext* distributed = nullptr;
};

}  // namespace xgrad::models

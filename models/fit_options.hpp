// How the models train: the options every model's fit() takes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nn/trainer.hpp"

namespace xgrad::models {

/// Which optimizer fit() builds over the model's parameters (scikit-learn's `solver`; the
/// optimizer itself is an optim::Optimizer).
enum class Solver { sgd, momentum, nesterov, adam, adamw, rmsprop };

/// "sgd", "momentum", ...; and back. The parser throws std::invalid_argument for an unknown name.
const char* solver_name(Solver solver);
Solver parse_solver(const std::string& name);

/// The old names, for one release.
using Optimizer [[deprecated("models::Optimizer is now models::Solver")]] = Solver;
[[deprecated("use models::solver_name")]] inline const char* optimizer_name(Solver solver) {
  return solver_name(solver);
}
[[deprecated("use models::parse_solver")]] inline Solver parse_optimizer(const std::string& name) {
  return parse_solver(name);
}

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

/// How a model's fit() trains (nn::FitOptions is the lower-level Trainer's; this one builds it).
struct TrainOptions {
  std::size_t epochs = 1000;
  /// Rows per step; 0 means full-batch gradient descent (every row in every step).
  std::size_t batch_size = 0;
  double learning_rate = 0.1;
  Solver optimizer = Solver::sgd;
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
  /// Seeds shuffling and the validation split; unset, a seed is drawn from the default generator
  /// at fit time, so xgrad::manual_seed(s) before building and fitting reproduces a whole run.
  std::optional<std::uint64_t> seed;
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

using FitOptions [[deprecated("models::FitOptions is now models::TrainOptions")]] = TrainOptions;

/// `seed` if set, else the next draw of the default generator (what manual_seed seeds).
std::uint64_t seed_or_default(const std::optional<std::uint64_t>& seed);

}  // namespace xgrad::models

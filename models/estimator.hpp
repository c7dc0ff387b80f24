// models::Estimator: what every model shares — a network whose first layer scales the inputs,
// fitting through nn::Trainer, the training history, and saving and loading.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "models/fit_options.hpp"
#include "models/input_scaler.hpp"
#include "nn/loss.hpp"
#include "nn/sequential.hpp"
#include "nn/trainer.hpp"

namespace xgrad::models {

class Estimator {
 public:
  virtual ~Estimator() = default;

  /// The per-epoch record of the last fit (empty before one).
  const nn::History& history() const { return history_; }
  /// The network: InputScaler, then the model's layers. Throws std::runtime_error before fit or
  /// load.
  nn::Sequential& module() const;
  bool is_fitted() const { return network_ != nullptr; }
  std::size_t n_features() const { return n_features_; }
  Dtype dtype() const { return dtype_; }

  /// Saves the network's parameters and input statistics as an .npz checkpoint (atomically).
  void save(const std::string& path) const;
  /// Rebuilds the network from a checkpoint written by save() of the same kind of model with the
  /// same architecture options. Throws std::runtime_error for an unreadable file and
  /// std::invalid_argument for a checkpoint of another architecture; the model is then unchanged.
  void load(const std::string& path);

 protected:
  Estimator(std::string name, Normalization normalization, Dtype dtype);

  /// Builds network_ (with scaler_ first) for n_features inputs and n_outputs outputs.
  virtual void build(std::size_t n_features, std::size_t n_outputs) = 0;

  /// Fits on x (N, features) and targets y (N, ...) already in the model's shape and dtype:
  /// holds out the validation rows, fits the input scaler on the training rows, builds the
  /// optimizer and runs nn::Trainer. `stratify` splits by the class indices in y.
  nn::History train(const Tensor& x, const Tensor& y, std::size_t n_outputs,
                    const FitOptions& options, const nn::LossFunction& loss, bool stratify);
  /// x as a (N, n_features) tensor of the model's dtype; throws std::invalid_argument naming
  /// `method` otherwise, and std::runtime_error before fit.
  Tensor check_input(const char* method, const Tensor& x) const;
  /// The network's output for x in eval mode, recording no graph.
  Tensor forward(const char* method, const Tensor& x) const;
  /// The weight matrices of the network's Linear layers (the L2 term's tensors).
  std::vector<Tensor> weights() const;

  std::string name_;
  Normalization normalization_;
  Dtype dtype_;
  std::shared_ptr<nn::Sequential> network_;
  std::shared_ptr<InputScaler> scaler_;
  std::size_t n_features_ = 0;
  std::size_t n_outputs_ = 0;
  nn::History history_;
};

/// y as a (N, 1) column of dtype for regression targets given as (N,) or (N, 1); throws
/// std::invalid_argument naming `who` for other shapes or a row count other than `rows`.
Tensor regression_targets(const char* who, const Tensor& y, std::size_t rows, Dtype dtype);
/// Checks that y (N,) holds class indices 0..k-1 and returns k (at least 2). Throws
/// std::invalid_argument naming `who` for other shapes, non-integers, negatives or a row count
/// other than `rows`.
std::size_t class_count(const char* who, const Tensor& y, std::size_t rows);

/// The index of the largest entry of each row of probabilities (N, k), as a (N,) tensor of p's
/// dtype.
Tensor most_probable_class(const Tensor& p);

}  // namespace xgrad::models

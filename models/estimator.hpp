// models::Estimator: what every model shares — a network whose first layer scales the inputs,
// fitting through nn::Trainer, the training history, and saving and loading.
#pragma once

#include <cstddef>
#include <cstdint>
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
  /// optimizer and runs nn::Trainer. `stratify` splits by the class indices in y. A classifier
  /// passes its number of classes as n_classes (0 for regression): a validation split that leaves
  /// a class without training rows then throws std::invalid_argument naming the class.
  nn::History train(const Tensor& x, const Tensor& y, std::size_t n_outputs,
                    const TrainOptions& options, const nn::LossFunction& loss, bool stratify,
                    std::size_t n_classes = 0);
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
/// The class indices in y (N,). Throws std::invalid_argument naming `who` and the row for other
/// shapes, a row count other than `rows`, and labels that are not whole numbers >= 0.
std::vector<std::int64_t> class_labels(const char* who, const Tensor& y, std::size_t rows);
/// The number of classes a classifier fitted on y (N,) has: num_classes when it is not 0, else the
/// number of distinct labels. Throws std::invalid_argument, naming the label and its row, for a
/// label that is not a class index or not below that number (inferred, the labels must be
/// 0..k-1: a skipped class or a wild label such as 1e9 is refused, and nothing is allocated by a
/// label's value), and when y holds fewer than 2 distinct classes.
std::size_t class_count(const char* who, const Tensor& y, std::size_t rows,
                        std::size_t num_classes = 0);
/// Throws std::invalid_argument "<who>: <cause> left class c out of the training rows" when some
/// class in 0..classes-1 has no row in y.
void check_every_class(const char* who, const Tensor& y, std::size_t classes,
                       const std::string& cause);

/// The index of the largest entry of each row of probabilities (N, k), as an int64 tensor (N,).
Tensor most_probable_class(const Tensor& p);

}  // namespace xgrad::models

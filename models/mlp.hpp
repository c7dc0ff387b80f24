// models::MLP: a configurable fully connected network for regression, binary or multiclass
// classification, with input normalization built in — the "ML from Scratch" network, corrected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "autograd/random.hpp"
#include "models/estimator.hpp"
#include "nn/init.hpp"

namespace xgrad::models {

enum class Task { regression, binary, multiclass };
enum class Activation { relu, sigmoid, tanh, leaky_relu };

const char* task_name(Task task);
Task parse_task(const std::string& name);
const char* activation_name(Activation activation);
Activation parse_activation(const std::string& name);

class MLP : public Estimator {
 public:
  struct Options {
    std::vector<std::size_t> hidden = {64, 64};  // units of each hidden layer
    Activation activation = Activation::relu;
    Task task = Task::multiclass;
    /// Classification: the number of classes; 0 takes the number of distinct labels in y, which
    /// must then be 0..k-1. Set it when a training set may lack some class.
    std::size_t num_classes = 0;
    double dropout = 0;  // after each hidden activation, in training only
    Normalization normalization = Normalization::standard;
    nn::Init init = nn::Init::kaiming_uniform;
    /// Seeds the initial weights; unset, a seed is drawn from the default generator when the
    /// network is built, so xgrad::manual_seed(s) reproduces a whole run.
    std::optional<std::uint64_t> seed;
    /// The notebooks' network also applied the activation to the output layer, which clamps a
    /// ReLU regression at 0. Off by default (a linear output); on to compare with the notebooks.
    bool activation_on_output = false;
    Dtype dtype = float32;
  };

  MLP() : MLP(Options{}) {}
  /// Throws std::invalid_argument for an empty or zero-width hidden layer or dropout outside
  /// [0, 1).
  explicit MLP(Options options);

  /// Fits on X (N, D) and y: targets (N,) or (N, k) for regression, class indices (N,) for
  /// classification. Throws std::invalid_argument for mismatched shapes, bad labels, NaN in the
  /// data or bad options.
  const nn::History& fit(const Tensor& x, const Tensor& y, const TrainOptions& options = {});
  /// Regression: predictions (N,) or (N, k), float. Classification: class indices, int64 (N,).
  Tensor predict(const Tensor& x) const;
  /// Classification: P(class 1) (N,) for binary, class probabilities (N, k) for multiclass.
  Tensor predict_proba(const Tensor& x) const;
  /// R^2 for regression, accuracy for classification.
  double score(const Tensor& x, const Tensor& y) const;
  const Options& options() const { return options_; }

 protected:
  void build(std::size_t n_features, std::size_t n_outputs) override;

 private:
  Options options_;
};

}  // namespace xgrad::models

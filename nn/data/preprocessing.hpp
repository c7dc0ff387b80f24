// Preparing features and labels: scikit-learn's StandardScaler and MinMaxScaler, the notebooks'
// normalize and expand_features, one_hot, and seeded (stratified) train/validation/test splits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "autograd/dtype.hpp"
#include "autograd/tensor.hpp"

namespace xgrad::data {

/// Standardizes each feature (column) to zero mean and unit variance: (x - mean_) / scale_, with
/// the statistics of the data given to fit, as sklearn.preprocessing.StandardScaler. Fit on the
/// training split only and transform every split with the same statistics.
///
/// The fitted statistics are public tensors of shape (features,) in the training data's dtype,
/// named as scikit-learn's fitted attributes (the trailing underscore means "set by fit"), so a
/// model can register them as buffers and save them; assigning saved mean_ and scale_ restores a
/// scaler. fit replaces them with new tensors.
class StandardScaler {
 public:
  /// Computes mean_, var_ (population variance) and scale_ = sqrt(var_) of x (N, D). A constant
  /// feature gets scale 1, so it maps to 0 instead of dividing by zero. Throws
  /// std::invalid_argument for x that is not 2-D, has no rows, or holds NaN or infinity.
  StandardScaler& fit(const Tensor& x);
  /// (x - mean_) / scale_ for x (N, D), recorded by autograd. Throws std::runtime_error before
  /// fit, and std::invalid_argument when x is not 2-D, has another number of features
  /// ("StandardScaler.transform: x has 3 features, the scaler was fitted on 2") or another dtype.
  Tensor transform(const Tensor& x) const;
  Tensor fit_transform(const Tensor& x);
  /// x * scale_ + mean_: back to the original units. Throws as transform does.
  Tensor inverse_transform(const Tensor& x) const;
  bool is_fitted() const { return mean_.defined() && scale_.defined(); }

  Tensor mean_;
  Tensor var_;
  Tensor scale_;
  std::size_t n_samples_seen_ = 0;
};

/// Maps each feature (column) linearly onto feature_range: the training minimum to its low end
/// and the training maximum to its high end, as sklearn.preprocessing.MinMaxScaler. Values outside
/// the training range map outside feature_range (no clipping).
///
/// data_min_ and data_max_ (features,) are the fitted state, public for saving and restoring as
/// StandardScaler's are; a constant feature (max == min) maps to the low end.
class MinMaxScaler {
 public:
  /// Throws std::invalid_argument unless low < high, both finite.
  explicit MinMaxScaler(std::pair<double, double> feature_range = {0.0, 1.0});

  /// Records the per-feature minimum and maximum of x (N, D). Throws std::invalid_argument for x
  /// that is not 2-D, has no rows, or holds NaN or infinity.
  MinMaxScaler& fit(const Tensor& x);
  /// low + (x - data_min_) * (high - low) / (data_max_ - data_min_), recorded by autograd. Throws
  /// std::runtime_error before fit and std::invalid_argument for a shape or dtype mismatch.
  Tensor transform(const Tensor& x) const;
  Tensor fit_transform(const Tensor& x);
  /// The inverse map, back to the original units. Throws as transform does.
  Tensor inverse_transform(const Tensor& x) const;
  bool is_fitted() const { return data_min_.defined() && data_max_.defined(); }
  std::pair<double, double> feature_range() const { return feature_range_; }

  Tensor data_min_;
  Tensor data_max_;

 private:
  std::pair<double, double> feature_range_;
};

/// The notebooks' min-max normalization onto [low, high]: by default with the global minimum and
/// maximum of the whole tensor (every feature shares one scale, as the notebooks' normalize(X)
/// with axis=None), or per column of a 2-D x when per_feature (MinMaxScaler({low, high})). A
/// constant tensor or column maps to low. For a one-off transform; to reuse training statistics
/// on other data, use MinMaxScaler. Throws std::invalid_argument unless low < high, for an empty
/// x, NaN or infinity in x, or (per_feature) an x that is not 2-D.
Tensor normalize(const Tensor& x, double low = -1.0, double high = 1.0, bool per_feature = false);

/// The notebooks' feature expansion: [x, x^2, sin x, cos x, sin x^2, cos x^2] joined along columns
/// in that block order, so x (N, D) becomes (N, 6 D); a vector (N,) counts as one feature and
/// gives (N, 6). The values only: the result is not recorded by autograd. Throws
/// std::invalid_argument for x of another rank.
Tensor expand_features(const Tensor& x);

/// One row per label with 1 in the label's column and 0 elsewhere: (N,) -> (N, num_classes), as
/// torch.nn.functional.one_hot; num_classes = -1 infers it as the largest label + 1. Throws
/// std::out_of_range "one_hot: label 7 out of range for 5 classes (row 12)" and
/// std::invalid_argument for num_classes 0 or below -1, or -1 with no labels.
Tensor one_hot(const std::vector<std::int64_t>& labels, long num_classes = -1,
               Dtype dtype = float32);
/// The same with labels in a tensor of shape (N,) holding whole numbers; throws
/// std::invalid_argument for another shape or a label that is not a whole number.
Tensor one_hot(const Tensor& labels, long num_classes = -1, Dtype dtype = float32);

/// The four tensors of train_test_split, in scikit-learn's order.
struct TrainTestSplit {
  Tensor x_train;
  Tensor x_test;
  Tensor y_train;
  Tensor y_test;
};

/// Shuffles the rows of x (N, ...) and y (N, ...) with a generator seeded by `seed` and splits
/// them: ceil(test_fraction * N) rows go to the test split, the rest to the training split, as
/// sklearn.model_selection.train_test_split. With stratify, y holds class indices (N,) and each
/// class is split in the same proportion (to within one sample), so both splits keep the class
/// balance. Throws std::invalid_argument when x and y differ in rows, test_fraction is not in
/// (0, 1), a split would be empty, or (stratify) y is not a vector of class indices.
TrainTestSplit train_test_split(const Tensor& x, const Tensor& y, double test_fraction = 0.25,
                                std::uint64_t seed = 0, bool stratify = false);

/// The six tensors of train_val_test_split.
struct TrainValTestSplit {
  Tensor x_train;
  Tensor x_val;
  Tensor x_test;
  Tensor y_train;
  Tensor y_val;
  Tensor y_test;
};

/// train_test_split with a validation split as well: ceil(val_fraction * N) validation rows,
/// ceil(test_fraction * N) test rows, the rest for training. Throws as train_test_split does, and
/// when val_fraction + test_fraction is not below 1.
TrainValTestSplit train_val_test_split(const Tensor& x, const Tensor& y, double val_fraction,
                                       double test_fraction, std::uint64_t seed = 0,
                                       bool stratify = false);

}  // namespace xgrad::data

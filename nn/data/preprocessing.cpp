// Scalers, normalize, expand_features, one_hot and the seeded train/validation/test splits.
#include "nn/data/preprocessing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>

#include "autograd/factory.hpp"
#include "autograd/ops.hpp"
#include "autograd/random.hpp"

namespace xgrad::data {

namespace {

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// Throws unless x is a 2-D (samples, features) tensor with at least one row.
void check_matrix(const std::string& op, const Tensor& x) {
  if (!x.defined()) throw std::invalid_argument(op + ": x is undefined");
  if (x.dim() != 2) {
    throw std::invalid_argument(op + ": expected x of shape (samples, features), got " +
                                format_shape(x.shape()));
  }
  if (x.size(0) == 0)
    throw std::invalid_argument(op + ": x " + format_shape(x.shape()) + " has no rows");
}

// Throws naming the first NaN or infinity, by row and column for a matrix.
void check_finite(const std::string& op, const Tensor& x) {
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto& values = x.data<T>();
    const std::size_t columns = x.dim() == 2 ? x.size(1) : 1;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (std::isfinite(values.data()[i])) continue;
      const std::string at = x.dim() == 2 ? "row " + std::to_string(i / columns) + ", column " +
                                                std::to_string(i % columns)
                                          : "index " + std::to_string(i);
      throw std::invalid_argument(op + ": x holds " + format_number(values.data()[i]) + " at " +
                                  at);
    }
  });
}

// Per-column minimum and maximum of a checked matrix, in its dtype.
std::pair<Tensor, Tensor> column_min_max(const Tensor& x) {
  return dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto& values = x.data<T>();
    const std::size_t n = x.size(0);
    const std::size_t d = x.size(1);
    TensorValues<T> low = TensorValues<T>::from_shape({d});
    TensorValues<T> high = TensorValues<T>::from_shape({d});
    std::copy(values.data(), values.data() + d, low.data());
    std::copy(values.data(), values.data() + d, high.data());
    for (std::size_t i = 1; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) {
        const T v = values.data()[i * d + j];
        low(j) = std::min(low(j), v);
        high(j) = std::max(high(j), v);
      }
    }
    return std::make_pair(Tensor(std::move(low)), Tensor(std::move(high)));
  });
}

// A scale too small to divide by is replaced by 1, as scikit-learn's _handle_zeros_in_scale.
template <class T>
T safe_scale(T scale) {
  return scale < 10 * std::numeric_limits<T>::epsilon() ? T(1) : scale;
}

// Checks a scaler's input against its fitted statistics `a` and `b`.
void check_against(const std::string& op, const Tensor& x, const Tensor& a, const Tensor& b,
                   const char* stats) {
  if (!a.defined() || !b.defined()) {
    throw std::runtime_error(op + ": the scaler is not fitted; call fit first (or set " + stats +
                             ")");
  }
  if (a.dim() != 1 || a.shape() != b.shape()) {
    throw std::invalid_argument(op + ": fitted statistics " + stats + " have shapes " +
                                format_shape(a.shape()) + " and " + format_shape(b.shape()) +
                                "; both must be (features,)");
  }
  if (!x.defined()) throw std::invalid_argument(op + ": x is undefined");
  if (x.dim() != 2) {
    throw std::invalid_argument(op + ": expected x of shape (samples, features), got " +
                                format_shape(x.shape()));
  }
  if (x.size(1) != a.size(0)) {
    throw std::invalid_argument(op + ": x has " + std::to_string(x.size(1)) +
                                " features, the scaler was fitted on " + std::to_string(a.size(0)));
  }
  if (x.dtype() != a.dtype() || x.dtype() != b.dtype()) {
    throw std::invalid_argument(op + ": x is " + dtype_name(x.dtype()) +
                                ", the fitted statistics are " + dtype_name(a.dtype()) +
                                " (convert with to())");
  }
}

void check_range(const std::string& op, double low, double high) {
  if (!(low < high) || !std::isfinite(low) || !std::isfinite(high)) {
    throw std::invalid_argument(op + ": range (" + format_number(low) + ", " + format_number(high) +
                                ") needs finite low < high");
  }
}

// MinMaxScaler's map x * scale + offset from the data range [data_min, data_max] to [low, high].
std::pair<Tensor, Tensor> min_max_affine(const Tensor& data_min, const Tensor& data_max, double low,
                                         double high) {
  return dispatch(data_min.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto& lo = data_min.data<T>();
    const auto& hi = data_max.data<T>();
    TensorValues<T> scale = TensorValues<T>::from_shape(lo.shape());
    TensorValues<T> offset = TensorValues<T>::from_shape(lo.shape());
    for (std::size_t j = 0; j < lo.size(); ++j) {
      scale.data()[j] = static_cast<T>((high - low) / safe_scale<T>(hi.data()[j] - lo.data()[j]));
      offset.data()[j] = static_cast<T>(low - lo.data()[j] * scale.data()[j]);
    }
    return std::make_pair(Tensor(std::move(scale)), Tensor(std::move(offset)));
  });
}

}  // namespace

// ---- StandardScaler ----

StandardScaler& StandardScaler::fit(const Tensor& x) {
  check_matrix("StandardScaler.fit", x);
  check_finite("StandardScaler.fit", x);
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto& values = x.data<T>();
    const std::size_t n = x.size(0);
    const std::size_t d = x.size(1);
    // Two passes in double: the mean, then the squared deviations from it (no cancellation).
    std::vector<double> mean(d, 0.0);
    std::vector<double> var(d, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) mean[j] += values.data()[i * d + j];
    }
    for (double& m : mean) m /= static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) {
        const double deviation = values.data()[i * d + j] - mean[j];
        var[j] += deviation * deviation;
      }
    }
    TensorValues<T> mean_out = TensorValues<T>::from_shape({d});
    TensorValues<T> var_out = TensorValues<T>::from_shape({d});
    TensorValues<T> scale_out = TensorValues<T>::from_shape({d});
    for (std::size_t j = 0; j < d; ++j) {
      var[j] /= static_cast<double>(n);
      mean_out(j) = static_cast<T>(mean[j]);
      var_out(j) = static_cast<T>(var[j]);
      scale_out(j) = safe_scale(static_cast<T>(std::sqrt(var[j])));
    }
    mean_ = Tensor(std::move(mean_out));
    var_ = Tensor(std::move(var_out));
    scale_ = Tensor(std::move(scale_out));
  });
  n_samples_seen_ = x.size(0);
  return *this;
}

Tensor StandardScaler::transform(const Tensor& x) const {
  check_against("StandardScaler.transform", x, mean_, scale_, "mean_ and scale_");
  return (x - mean_) / scale_;
}

Tensor StandardScaler::fit_transform(const Tensor& x) {
  return fit(x).transform(x);
}

Tensor StandardScaler::inverse_transform(const Tensor& x) const {
  check_against("StandardScaler.inverse_transform", x, mean_, scale_, "mean_ and scale_");
  return x * scale_ + mean_;
}

// ---- MinMaxScaler ----

MinMaxScaler::MinMaxScaler(std::pair<double, double> feature_range)
    : feature_range_(feature_range) {
  check_range("MinMaxScaler: feature_range", feature_range.first, feature_range.second);
}

MinMaxScaler& MinMaxScaler::fit(const Tensor& x) {
  check_matrix("MinMaxScaler.fit", x);
  check_finite("MinMaxScaler.fit", x);
  std::tie(data_min_, data_max_) = column_min_max(x);
  return *this;
}

Tensor MinMaxScaler::transform(const Tensor& x) const {
  check_against("MinMaxScaler.transform", x, data_min_, data_max_, "data_min_ and data_max_");
  const auto [scale, offset] =
      min_max_affine(data_min_, data_max_, feature_range_.first, feature_range_.second);
  return x * scale + offset;
}

Tensor MinMaxScaler::fit_transform(const Tensor& x) {
  return fit(x).transform(x);
}

Tensor MinMaxScaler::inverse_transform(const Tensor& x) const {
  check_against("MinMaxScaler.inverse_transform", x, data_min_, data_max_,
                "data_min_ and data_max_");
  const auto [scale, offset] =
      min_max_affine(data_min_, data_max_, feature_range_.first, feature_range_.second);
  return (x - offset) / scale;
}

// ---- normalize, expand_features ----

Tensor normalize(const Tensor& x, double low, double high, bool per_feature) {
  check_range("normalize", low, high);
  if (!x.defined()) throw std::invalid_argument("normalize: x is undefined");
  if (per_feature) {
    check_matrix("normalize", x);
    check_finite("normalize", x);
    return MinMaxScaler({low, high}).fit_transform(x);
  }
  if (x.numel() == 0) {
    throw std::invalid_argument("normalize: x " + format_shape(x.shape()) + " is empty");
  }
  check_finite("normalize", x);
  // The whole tensor as one feature: a (1,) minimum and maximum broadcast against any shape.
  const Tensor flat = reshape(x.detach(), Shape{x.numel(), 1});
  const auto [data_min, data_max] = column_min_max(flat);
  const auto [scale, offset] = min_max_affine(data_min, data_max, low, high);
  return x * reshape(scale, Shape{}) + reshape(offset, Shape{});
}

Tensor expand_features(const Tensor& x) {
  if (!x.defined()) throw std::invalid_argument("expand_features: x is undefined");
  if (x.dim() != 1 && x.dim() != 2) {
    throw std::invalid_argument(
        "expand_features: expected x of shape (samples, features) or "
        "(samples,), got " +
        format_shape(x.shape()));
  }
  const std::size_t n = x.size(0);
  const std::size_t d = x.dim() == 2 ? x.size(1) : 1;
  return dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = x.data<T>().data();
    TensorValues<T> out = TensorValues<T>::from_shape({n, 6 * d});
    T* o = out.data();
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) {
        const T v = in[i * d + j];
        const T v2 = v * v;
        T* row = o + i * 6 * d + j;  // block b of row i starts at column b * d
        row[0] = v;
        row[d] = v2;
        row[2 * d] = std::sin(v);
        row[3 * d] = std::cos(v);
        row[4 * d] = std::sin(v2);
        row[5 * d] = std::cos(v2);
      }
    }
    return Tensor(std::move(out));
  });
}

// ---- one_hot ----

Tensor one_hot(const std::vector<std::int64_t>& labels, long num_classes, Dtype dtype) {
  if (num_classes == 0 || num_classes < -1) {
    throw std::invalid_argument("one_hot: num_classes must be positive, or -1 to infer it; got " +
                                std::to_string(num_classes));
  }
  if (num_classes == -1) {
    if (labels.empty()) {
      throw std::invalid_argument("one_hot: cannot infer num_classes from no labels");
    }
    const std::int64_t largest = *std::max_element(labels.begin(), labels.end());
    // The output is (N, largest + 1): one wild label must not size it (as confusion_matrix).
    if (largest >= 4096) {
      throw std::invalid_argument("one_hot: largest label is " + std::to_string(largest) +
                                  "; pass num_classes to build that many classes");
    }
    num_classes = static_cast<long>(largest) + 1;
  }
  const std::size_t classes = static_cast<std::size_t>(num_classes);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      throw std::out_of_range("one_hot: label " + std::to_string(labels[i]) + " out of range for " +
                              std::to_string(num_classes) + " classes (row " + std::to_string(i) +
                              ")");
    }
  }
  Tensor out = zeros({labels.size(), classes}, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>().data();
    for (std::size_t i = 0; i < labels.size(); ++i) {
      o[i * classes + static_cast<std::size_t>(labels[i])] = T(1);
    }
  });
  return out;
}

Tensor one_hot(const Tensor& labels, long num_classes, Dtype dtype) {
  if (!labels.defined()) throw std::invalid_argument("one_hot: labels are undefined");
  if (labels.dim() != 1) {
    throw std::invalid_argument("one_hot: expected labels of shape (N,), got " +
                                format_shape(labels.shape()));
  }
  if (labels.dtype() == int64) return one_hot(labels.to_vector<std::int64_t>(), num_classes, dtype);
  std::vector<std::int64_t> values(labels.numel());
  dispatch(labels.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = labels.data<T>().data();
    for (std::size_t i = 0; i < values.size(); ++i) {
      // Beyond 2^62 nothing is a class index, and the cast would overflow.
      if (!(std::floor(in[i]) == in[i]) || std::abs(in[i]) > 0x1p62) {
        throw std::invalid_argument("one_hot: label " + format_number(in[i]) + " at row " +
                                    std::to_string(i) + " is not a whole number");
      }
      values[i] = static_cast<std::int64_t>(in[i]);
    }
  });
  return one_hot(values, num_classes, dtype);
}

// ---- train_test_split, train_val_test_split ----

namespace {

struct SplitIndices {
  std::vector<std::size_t> train, val, test;
};

// Fisher-Yates, drawing as DataLoader does.
void shuffle(std::vector<std::size_t>& items, Generator& generator) {
  for (std::size_t i = items.size(); i > 1; --i) {
    std::swap(items[i - 1], items[static_cast<std::size_t>(generator.next() % i)]);
  }
}

// How many of the n rows a fraction takes: ceil(fraction * n), as scikit-learn, with a tolerance
// so that 0.3 * 10 counts as 3.
std::size_t split_size(double fraction, std::size_t n) {
  return static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(n) - 1e-9));
}

// Shares `total` rows among classes in proportion to their sizes: floor of each exact share, then
// one more to the largest remainders (ties to the lower class), never past a class's capacity.
std::vector<std::size_t> apportion(std::size_t total, std::size_t n,
                                   const std::vector<std::size_t>& sizes,
                                   const std::vector<std::size_t>& capacity) {
  const std::size_t k = sizes.size();
  std::vector<std::size_t> counts(k);
  std::size_t given = 0;
  for (std::size_t c = 0; c < k; ++c) {
    counts[c] = std::min(sizes[c] * total / n, capacity[c]);
    given += counts[c];
  }
  std::vector<std::size_t> order(k);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return sizes[a] * total % n > sizes[b] * total % n;
  });
  // The capacities sum to at least `total`, so this ends.
  while (given < total) {
    for (std::size_t c : order) {
      if (given < total && counts[c] < capacity[c]) {
        ++counts[c];
        ++given;
      }
    }
  }
  return counts;
}

// Class index of each row of y (N,), grouped by class in increasing order.
std::vector<std::vector<std::size_t>> rows_by_class(const std::string& op, const Tensor& y) {
  if (y.dim() != 1) {
    throw std::invalid_argument(op +
                                ": stratify needs y of shape (N,) holding class indices, got " +
                                format_shape(y.shape()));
  }
  std::map<double, std::vector<std::size_t>> groups;
  // int64 labels read as doubles: exact for any class index a data set can hold.
  const Tensor label_values = y.dtype() == int64 ? y.to(float64) : y;
  dispatch(label_values.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* labels = label_values.data<T>().data();
    for (std::size_t i = 0; i < y.numel(); ++i) {
      if (!(labels[i] >= 0) || std::floor(labels[i]) != labels[i]) {
        throw std::invalid_argument(op + ": stratify needs class indices in y, but y[" +
                                    std::to_string(i) + "] is " + format_number(labels[i]));
      }
      groups[static_cast<double>(labels[i])].push_back(i);
    }
  });
  std::vector<std::vector<std::size_t>> classes;
  for (auto& entry : groups) classes.push_back(std::move(entry.second));
  return classes;
}

// Validates the fractions and draws the row indices of each split.
// Without with_val, val_fraction is ignored and the validation split is empty.
SplitIndices split_indices(const std::string& op, const Tensor& x, const Tensor& y, bool with_val,
                           double val_fraction, double test_fraction, std::uint64_t seed,
                           bool stratify) {
  if (!x.defined() || !y.defined()) throw std::invalid_argument(op + ": x or y is undefined");
  if (x.dim() == 0 || y.dim() == 0 || x.size(0) != y.size(0)) {
    throw std::invalid_argument(op + ": x " + format_shape(x.shape()) + " and y " +
                                format_shape(y.shape()) + " need the same number of rows");
  }
  const auto check_fraction = [&](const char* name, double fraction) {
    // A fraction of 0 would leave its split empty.
    if (!(fraction > 0.0 && fraction < 1.0)) {
      throw std::invalid_argument(op + ": " + name + " must be in (0, 1), got " +
                                  format_number(fraction));
    }
  };
  if (with_val) check_fraction("val_fraction", val_fraction);
  check_fraction("test_fraction", test_fraction);
  if (with_val && !(val_fraction + test_fraction < 1.0)) {
    throw std::invalid_argument(
        op + ": val_fraction + test_fraction = " + format_number(val_fraction + test_fraction) +
        " leaves no training rows; the sum must be below 1");
  }
  const std::size_t n = x.size(0);
  const std::size_t n_test = split_size(test_fraction, n);
  const std::size_t n_val = with_val ? split_size(val_fraction, n) : 0;
  if (n_test + n_val >= n) {
    throw std::invalid_argument(op + ": " + std::to_string(n) +
                                " rows are too few: " + std::to_string(n_test) + " test" +
                                (with_val ? " and " + std::to_string(n_val) + " validation" : "") +
                                " rows leave the training split empty");
  }
  Generator generator(seed);
  SplitIndices split;
  if (!stratify) {
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    shuffle(order, generator);
    split.test.assign(order.begin(), order.begin() + static_cast<long>(n_test));
    split.val.assign(order.begin() + static_cast<long>(n_test),
                     order.begin() + static_cast<long>(n_test + n_val));
    split.train.assign(order.begin() + static_cast<long>(n_test + n_val), order.end());
    return split;
  }
  std::vector<std::vector<std::size_t>> classes = rows_by_class(op, y);
  std::vector<std::size_t> sizes;
  for (auto& rows : classes) {
    shuffle(rows, generator);
    sizes.push_back(rows.size());
  }
  const std::vector<std::size_t> test_counts = apportion(n_test, n, sizes, sizes);
  std::vector<std::size_t> left(sizes.size());
  for (std::size_t c = 0; c < sizes.size(); ++c) left[c] = sizes[c] - test_counts[c];
  const std::vector<std::size_t> val_counts = apportion(n_val, n, sizes, left);
  for (std::size_t c = 0; c < classes.size(); ++c) {
    const auto begin = classes[c].begin();
    const auto mid = begin + static_cast<long>(test_counts[c]);
    const auto end = mid + static_cast<long>(val_counts[c]);
    split.test.insert(split.test.end(), begin, mid);
    split.val.insert(split.val.end(), mid, end);
    split.train.insert(split.train.end(), end, classes[c].end());
  }
  // Interleave the classes, so that a batch taken from the front holds all of them.
  shuffle(split.train, generator);
  shuffle(split.val, generator);
  shuffle(split.test, generator);
  return split;
}

}  // namespace

TrainTestSplit train_test_split(const Tensor& x, const Tensor& y, double test_fraction,
                                std::uint64_t seed, bool stratify) {
  const SplitIndices s =
      split_indices("train_test_split", x, y, false, 0.0, test_fraction, seed, stratify);
  return {index_select(x, 0, s.train), index_select(x, 0, s.test), index_select(y, 0, s.train),
          index_select(y, 0, s.test)};
}

TrainValTestSplit train_val_test_split(const Tensor& x, const Tensor& y, double val_fraction,
                                       double test_fraction, std::uint64_t seed, bool stratify) {
  const SplitIndices s = split_indices("train_val_test_split", x, y, true, val_fraction,
                                       test_fraction, seed, stratify);
  return {index_select(x, 0, s.train), index_select(x, 0, s.val), index_select(x, 0, s.test),
          index_select(y, 0, s.train), index_select(y, 0, s.val), index_select(y, 0, s.test)};
}

}  // namespace xgrad::data

// Classification and regression metrics on tensor values, computed in double precision.
#include "nn/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

#include "autograd/shape.hpp"

namespace xgrad::metrics {

namespace {

// Above this, a class index is surely a bug (a probability times 1e9, say), not a class.
constexpr double kLargestClass = 2147483647.0;
// The inferred confusion matrix stays small enough to allocate; larger ones need num_classes.
constexpr std::int64_t kMaxInferredClasses = 4096;

// "[3]" or "[3, 1]": the position of the element at row-major offset `flat`.
std::string format_position(const Shape& shape, std::size_t flat) {
  std::vector<std::size_t> index(shape.size());
  for (std::size_t axis = shape.size(); axis-- > 0;) {
    index[axis] = flat % shape[axis];
    flat /= shape[axis];
  }
  std::string out = "[";
  for (std::size_t i = 0; i < index.size(); ++i) out += (i ? ", " : "") + std::to_string(index[i]);
  return out + "]";
}

[[noreturn]] void fail(const std::string& function, const std::string& what) {
  throw std::invalid_argument(function + ": " + what);
}

// The values of a tensor, row-major, as doubles.
std::vector<double> values_of(const std::string& function, const std::string& name,
                              const Tensor& tensor) {
  if (!tensor.defined()) fail(function, name + " is undefined");
  return tensor.to_vector<double>();  // any dtype: int64 class labels too
}

void check_finite(const std::string& function, const std::string& name, const Tensor& tensor,
                  const std::vector<double>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      fail(function, name + format_position(tensor.shape(), i) + " is " + format_number(values[i]));
    }
  }
}

std::vector<std::int64_t> argmax_of(const std::string& function, const std::string& name,
                                    const Tensor& input, long axis) {
  const std::vector<double> values = values_of(function, name, input);
  const Shape shape = input.shape();
  const std::size_t a = normalize_axis(function.c_str(), axis, shape);
  const std::size_t n = shape[a];
  if (n == 0)
    fail(function, "axis " + std::to_string(a) + " of " + name + " of shape " +
                       format_shape(shape) + " is empty");
  std::size_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < a; ++i) outer *= shape[i];
  for (std::size_t i = a + 1; i < shape.size(); ++i) inner *= shape[i];
  std::vector<std::int64_t> result(outer * inner);
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t j = 0; j < inner; ++j) {
      std::size_t best = 0;
      for (std::size_t k = 0; k < n; ++k) {
        const std::size_t offset = (o * n + k) * inner + j;
        if (std::isnan(values[offset])) {
          fail(function, name + format_position(shape, offset) + " is NaN");
        }
        if (values[offset] > values[(o * n + best) * inner + j]) best = k;  // first max wins
      }
      result[o * inner + j] = static_cast<std::int64_t>(best);
    }
  }
  return result;
}

// Class indices from (N,) whole numbers or the row-wise argmax of (N, C) scores.
std::vector<std::int64_t> class_indices(const std::string& function, const std::string& name,
                                        const Tensor& tensor, bool scores_allowed) {
  if (!tensor.defined()) fail(function, name + " is undefined");
  const Shape shape = tensor.shape();
  if (scores_allowed && shape.size() == 2) {
    if (shape[1] < 2) {
      fail(function, name + " of shape " + format_shape(shape) +
                         " hold one score per row; turn binary probabilities of shape (N,) into "
                         "classes with binarize(p, 0.5)");
    }
    return argmax_of(function, name, tensor, 1);
  }
  if (shape.size() != 1) {
    fail(function, name + " must be class indices of shape (N,)" +
                       (scores_allowed ? std::string(" or scores of shape (N, C)") : "") +
                       ", got shape " + format_shape(shape) +
                       " (the arguments are (predictions, targets))");
  }
  const std::vector<double> values = values_of(function, name, tensor);
  std::vector<std::int64_t> classes(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (!(v >= 0 && v <= kLargestClass && v == std::floor(v))) {
      fail(function, name + "[" + std::to_string(i) + "] = " + format_number(v) +
                         " is not a class index (a whole number >= 0); turn probabilities into "
                         "classes with binarize(p, 0.5) or pass scores of shape (N, C)");
    }
    classes[i] = static_cast<std::int64_t>(v);
  }
  return classes;
}

struct Labels {
  std::vector<std::int64_t> predicted;
  std::vector<std::int64_t> target;
};

Labels labels(const std::string& function, const Tensor& predictions, const Tensor& targets) {
  Labels out{class_indices(function, "predictions", predictions, true),
             class_indices(function, "targets", targets, false)};
  if (out.predicted.size() != out.target.size()) {
    fail(function, "predictions have " + std::to_string(out.predicted.size()) +
                       " samples, targets have " + std::to_string(out.target.size()));
  }
  if (out.target.empty()) fail(function, "empty input (0 samples)");
  return out;
}

// Per-class true positives, predicted count (tp + fp) and true count (tp + fn).
struct ClassCounts {
  double true_positives = 0;
  double predicted = 0;
  double actual = 0;
};

std::map<std::int64_t, ClassCounts> count_classes(const std::string& function,
                                                  const Tensor& predictions, const Tensor& targets,
                                                  Average average) {
  const Labels l = labels(function, predictions, targets);
  std::map<std::int64_t, ClassCounts> counts;
  for (std::size_t i = 0; i < l.target.size(); ++i) {
    if (average == Average::binary) {
      for (const auto& [name, label] :
           {std::pair{"predictions", l.predicted[i]}, std::pair{"targets", l.target[i]}}) {
        if (label > 1) {
          fail(function, std::string("average=binary needs labels 0 and 1, ") + name + "[" +
                             std::to_string(i) + "] is " + std::to_string(label) +
                             " (use Average::macro for more classes)");
        }
      }
    }
    counts[l.predicted[i]].predicted += 1;
    counts[l.target[i]].actual += 1;
    if (l.predicted[i] == l.target[i]) counts[l.target[i]].true_positives += 1;
  }
  return counts;
}

// Scores class 1 (binary) or averages the score over the classes that occur (macro).
template <class Score>
double averaged(const std::string& function, const Tensor& predictions, const Tensor& targets,
                Average average, Score score) {
  const auto counts = count_classes(function, predictions, targets, average);
  if (average == Average::binary) {
    const auto positive = counts.find(1);
    return positive == counts.end() ? 0.0 : score(positive->second);
  }
  double total = 0;
  for (const auto& entry : counts) total += score(entry.second);
  return total / static_cast<double>(counts.size());
}

double ratio_or_zero(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0.0;
}

// Checked regression inputs: equal shapes (N,) or (N, k), N >= min_samples, finite values.
struct Columns {
  std::vector<double> predicted;
  std::vector<double> target;
  std::size_t rows = 0;
  std::size_t outputs = 0;
};

Columns regression_inputs(const std::string& function, const Tensor& predictions,
                          const Tensor& targets, std::size_t min_samples) {
  Columns c{values_of(function, "predictions", predictions),
            values_of(function, "targets", targets)};
  const Shape shape = targets.shape();
  if (predictions.shape() != shape) {
    fail(function, "predictions of shape " + format_shape(predictions.shape()) +
                       " and targets of shape " + format_shape(shape) + " differ");
  }
  if (shape.size() != 1 && shape.size() != 2) {
    fail(function, "expected shape (N,) or (N, outputs), got " + format_shape(shape));
  }
  c.rows = shape[0];
  c.outputs = shape.size() == 2 ? shape[1] : 1;
  if (c.rows == 0 || c.outputs == 0) fail(function, "empty input of shape " + format_shape(shape));
  if (c.rows < min_samples) {
    fail(function, "needs at least " + std::to_string(min_samples) + " samples, got " +
                       std::to_string(c.rows));
  }
  check_finite(function, "predictions", predictions, c.predicted);
  check_finite(function, "targets", targets, c.target);
  return c;
}

// The mean over outputs of the per-output mean of loss(prediction - target).
template <class Loss>
double mean_error(const std::string& function, const Tensor& predictions, const Tensor& targets,
                  Loss loss) {
  const Columns c = regression_inputs(function, predictions, targets, 1);
  double total = 0;
  for (std::size_t i = 0; i < c.target.size(); ++i) total += loss(c.predicted[i] - c.target[i]);
  // Every output has the same number of rows, so the uniform average is the overall mean.
  return total / static_cast<double>(c.target.size());
}

}  // namespace

std::vector<std::int64_t> argmax(const Tensor& input, long axis) {
  return argmax_of("argmax", "input", input, axis);
}

Tensor binarize(const Tensor& input, double threshold) {
  if (!input.defined()) fail("binarize", "input is undefined");
  if (std::isnan(threshold)) fail("binarize", "threshold is NaN");
  return dispatch(input.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto& values = input.data<T>();
    TensorValues<T> out = TensorValues<T>::from_shape(values.shape());
    for (std::size_t i = 0; i < values.size(); ++i) {
      const T v = values.data()[i];
      if (std::isnan(v)) fail("binarize", "input" + format_position(input.shape(), i) + " is NaN");
      out.data()[i] = v > threshold ? T(1) : T(0);
    }
    return Tensor(std::move(out));
  });
}

double accuracy(const Tensor& predictions, const Tensor& targets) {
  const Labels l = labels("accuracy", predictions, targets);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < l.target.size(); ++i) correct += l.predicted[i] == l.target[i];
  return static_cast<double>(correct) / static_cast<double>(l.target.size());
}

double precision(const Tensor& predictions, const Tensor& targets, Average average) {
  return averaged("precision", predictions, targets, average, [](const ClassCounts& c) {
    return ratio_or_zero(c.true_positives, c.predicted);
  });
}

double recall(const Tensor& predictions, const Tensor& targets, Average average) {
  return averaged("recall", predictions, targets, average,
                  [](const ClassCounts& c) { return ratio_or_zero(c.true_positives, c.actual); });
}

double f1_score(const Tensor& predictions, const Tensor& targets, Average average) {
  // 2 tp / (2 tp + fp + fn) = 2 tp / (predicted + actual).
  return averaged("f1_score", predictions, targets, average, [](const ClassCounts& c) {
    return ratio_or_zero(2 * c.true_positives, c.predicted + c.actual);
  });
}

std::vector<std::vector<std::int64_t>> confusion_matrix(const Tensor& predictions,
                                                        const Tensor& targets,
                                                        std::size_t num_classes) {
  const Labels l = labels("confusion_matrix", predictions, targets);
  if (num_classes == 0) {
    std::int64_t largest = 0;
    for (std::size_t i = 0; i < l.target.size(); ++i) {
      largest = std::max({largest, l.target[i], l.predicted[i]});
    }
    if (largest >= kMaxInferredClasses) {
      fail("confusion_matrix", "largest class is " + std::to_string(largest) +
                                   "; pass num_classes to build a matrix that large");
    }
    num_classes = static_cast<std::size_t>(largest) + 1;
  }
  std::vector<std::vector<std::int64_t>> matrix(num_classes,
                                                std::vector<std::int64_t>(num_classes, 0));
  for (std::size_t i = 0; i < l.target.size(); ++i) {
    for (const auto& [name, label] :
         {std::pair{"target", l.target[i]}, std::pair{"prediction", l.predicted[i]}}) {
      if (static_cast<std::size_t>(label) >= num_classes) {
        throw std::out_of_range("confusion_matrix: " + std::string(name) + " " +
                                std::to_string(label) + " out of range for " +
                                std::to_string(num_classes) + " classes (index " +
                                std::to_string(i) + ")");
      }
    }
    ++matrix[static_cast<std::size_t>(l.target[i])][static_cast<std::size_t>(l.predicted[i])];
  }
  return matrix;
}

double mean_squared_error(const Tensor& predictions, const Tensor& targets) {
  return mean_error("mean_squared_error", predictions, targets, [](double e) { return e * e; });
}

double mean_absolute_error(const Tensor& predictions, const Tensor& targets) {
  return mean_error("mean_absolute_error", predictions, targets,
                    [](double e) { return std::abs(e); });
}

double r2_score(const Tensor& predictions, const Tensor& targets) {
  const Columns c = regression_inputs("r2_score", predictions, targets, 2);
  double total = 0;
  for (std::size_t j = 0; j < c.outputs; ++j) {
    double mean = 0;
    for (std::size_t i = 0; i < c.rows; ++i) mean += c.target[i * c.outputs + j];
    mean /= static_cast<double>(c.rows);
    double residual = 0, spread = 0;  // sum (y - y_hat)^2 and sum (y - mean y)^2
    for (std::size_t i = 0; i < c.rows; ++i) {
      const double y = c.target[i * c.outputs + j];
      residual += (y - c.predicted[i * c.outputs + j]) * (y - c.predicted[i * c.outputs + j]);
      spread += (y - mean) * (y - mean);
    }
    // A constant target has no spread to explain: scikit-learn scores it 1 if exact, else 0.
    total += spread > 0 ? 1 - residual / spread : (residual == 0 ? 1.0 : 0.0);
  }
  return total / static_cast<double>(c.outputs);
}

}  // namespace xgrad::metrics

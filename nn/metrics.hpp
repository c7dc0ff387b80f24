// Evaluation metrics with scikit-learn's definitions and torchmetrics' names: accuracy, precision,
// recall, F1 and the confusion matrix for classifiers; MSE, MAE and R² for regressors.
//
// Every metric takes (predictions, targets), in that order, as xgrad's losses and the Trainer's
// MetricFunction do. The values are read, never differentiated, and the result is a double.
//
// Classification: targets are class indices of shape (N,), int64 or a float tensor of whole
// numbers >= 0. Predictions are either class indices of shape (N,) or scores of shape (N, C),
// logits or probabilities, whose row-wise argmax is the predicted class. Binary probabilities of
// shape (N,) become classes with binarize(probabilities, 0.5).
//
// Regression: predictions and targets have the same shape, (N,) or (N, k); k outputs are scored
// separately and averaged with equal weights (scikit-learn's multioutput="uniform_average").
//
// Errors: std::invalid_argument "<metric>: ..." naming the values for mismatched lengths or
// shapes, empty inputs, NaN or infinite values, and values that are not class indices;
// std::out_of_range for a class beyond num_classes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad::metrics {

/// How precision, recall and F1 combine classes, as scikit-learn's `average`: `binary` scores
/// class 1 alone (the labels must be 0 and 1); `macro` is the unweighted mean over every class
/// that occurs in the predictions or the targets.
enum class Average { binary, macro };

/// The index of the largest value along `axis` (negative counts from the end), for every position
/// of the other axes in row-major order: (N, C) with axis 1 gives N indices. Ties go to the first
/// maximum, as numpy.argmax. Throws std::out_of_range for a bad axis and std::invalid_argument for
/// an empty axis or a NaN.
std::vector<std::int64_t> argmax(const Tensor& input, long axis);

/// 1 where a value is greater than `threshold`, else 0, with the input's shape and dtype (as
/// scikit-learn's binarize): binarize(probabilities, 0.5) or binarize(logits, 0.0) gives binary
/// class indices. Throws std::invalid_argument for a NaN.
Tensor binarize(const Tensor& input, double threshold);

/// The fraction of predictions equal to their target.
double accuracy(const Tensor& predictions, const Tensor& targets);

/// tp / (tp + fp); 0 for a class never predicted (scikit-learn's zero_division default).
double precision(const Tensor& predictions, const Tensor& targets,
                 Average average = Average::binary);
/// tp / (tp + fn); 0 for a class that never occurs in the targets.
double recall(const Tensor& predictions, const Tensor& targets, Average average = Average::binary);
/// 2 tp / (2 tp + fp + fn), the harmonic mean of precision and recall; 0 when tp + fp + fn is 0.
/// The macro average is the mean of the per-class F1 scores, as in scikit-learn.
double f1_score(const Tensor& predictions, const Tensor& targets,
                Average average = Average::binary);

/// Counts with rows the true class and columns the predicted class, as scikit-learn's:
/// matrix[t][p] is the number of samples of class t predicted as p. With num_classes 0 the matrix
/// covers classes 0 to the largest one seen. Throws std::out_of_range
/// "confusion_matrix: target 7 out of range for 5 classes (index 12)".
std::vector<std::vector<std::int64_t>> confusion_matrix(const Tensor& predictions,
                                                        const Tensor& targets,
                                                        std::size_t num_classes = 0);

/// mean((prediction - target)^2).
double mean_squared_error(const Tensor& predictions, const Tensor& targets);
/// mean(|prediction - target|).
double mean_absolute_error(const Tensor& predictions, const Tensor& targets);
/// 1 - sum((target - prediction)^2) / sum((target - mean(target))^2). For a constant target the
/// score is 1 if every prediction is exact and 0 otherwise, as scikit-learn's. Needs at least two
/// samples.
double r2_score(const Tensor& predictions, const Tensor& targets);

}  // namespace xgrad::metrics

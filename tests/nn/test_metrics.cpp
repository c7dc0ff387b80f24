// Tests of the classification and regression metrics against hand counts and scikit-learn.
//
// The scikit-learn values were computed once with scikit-learn 1.2.1 (Debian's python3-sklearn):
//   from sklearn import metrics as m
//   t=[1,0,0,1,0,1,1,0,1,0]; p=[1,0,1,1,0,1,0,0,1,1]
//   m.accuracy_score(t,p), m.precision_score(t,p), m.recall_score(t,p), m.f1_score(t,p)
//     -> 0.7 0.6666666666666666 0.8 0.7272727272727272;  m.confusion_matrix(t,p) -> [[3,2],[1,4]]
//   t=[0,1,2,2,1,0,2,1,0,2]; p=[0,2,2,1,1,0,2,0,0,2]; with average='macro'
//     -> accuracy 0.7, precision 0.6666666666666666, recall 0.6944444444444443,
//        f1 0.669047619047619;  confusion_matrix -> [[3,0,0],[1,1,1],[0,1,3]]
//   t=[0,0,1,1]; p=[0,2,1,1]; macro, zero_division=0 -> 0.6666666666666666 0.5 0.5555555555555555
//   yt=[3,-0.5,2,7]; yp=[2.5,0.0,2,8] -> mse 0.375, mae 0.5, r2 0.9486081370449679
//   yt=[[0.5,1],[-1,1],[7,-6]]; yp=[[0,2],[-1,2],[8,-5]] -> mse 0.7083333333333334, mae 0.75,
//     r2 0.9368005266622779
//   m.r2_score([2,2,2],[2,2,2]) -> 1.0;  m.r2_score([2,2,2],[2,2,3]) -> 0.0
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include <xtensor/xadapt.hpp>

#include "gradient_checks.hpp"
#include "nn/nn.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::error_message;

namespace {

Tensor values(std::vector<double> v, Dtype dtype = float32) {
  const std::vector<std::size_t> shape{v.size()};
  return Tensor(xt::xarray<double>(xt::adapt(v, shape))).to(dtype);
}

// A binary problem with tp = 4, fp = 2, fn = 1, tn = 3.
const std::vector<double> kBinaryTargets{1, 0, 0, 1, 0, 1, 1, 0, 1, 0};
const std::vector<double> kBinaryPredictions{1, 0, 1, 1, 0, 1, 0, 0, 1, 1};
// Three classes; per class (tp, predicted, actual): 0: (3, 4, 3), 1: (1, 2, 3), 2: (3, 4, 4).
const std::vector<double> kClassTargets{0, 1, 2, 2, 1, 0, 2, 1, 0, 2};
const std::vector<double> kClassPredictions{0, 2, 2, 1, 1, 0, 2, 0, 0, 2};

}  // namespace

TEST_CASE("binary metrics score class 1 and match scikit-learn", "[nn][metrics]") {
  const Dtype dtype = GENERATE(float32, float64);
  const Tensor p = values(kBinaryPredictions, dtype), t = values(kBinaryTargets, dtype);
  CHECK(metrics::accuracy(p, t) == Approx(0.7));
  CHECK(metrics::precision(p, t) == Approx(4.0 / 6.0));  // sklearn 0.6666666666666666
  CHECK(metrics::recall(p, t) == Approx(4.0 / 5.0));     // sklearn 0.8
  CHECK(metrics::f1_score(p, t) == Approx(0.7272727272727272));
  CHECK(metrics::confusion_matrix(p, t) == std::vector<std::vector<std::int64_t>>{{3, 2}, {1, 4}});
}

TEST_CASE("macro metrics average the per-class scores and match scikit-learn", "[nn][metrics]") {
  const Tensor p = values(kClassPredictions), t = values(kClassTargets);
  const auto macro = metrics::Average::macro;
  CHECK(metrics::accuracy(p, t) == Approx(0.7));
  CHECK(metrics::precision(p, t, macro) == Approx((0.75 + 0.5 + 0.75) / 3));
  CHECK(metrics::recall(p, t, macro) == Approx(0.6944444444444443));  // (1 + 1/3 + 3/4) / 3
  CHECK(metrics::f1_score(p, t, macro) == Approx(0.669047619047619));
}

TEST_CASE("a class that is only predicted scores zero in the macro average", "[nn][metrics]") {
  // Class 2 is predicted once and never true: precision 0/1, recall 0/0 -> 0, as scikit-learn.
  const Tensor p = values({0, 2, 1, 1}), t = values({0, 0, 1, 1});
  const auto macro = metrics::Average::macro;
  CHECK(metrics::precision(p, t, macro) == Approx(0.6666666666666666));
  CHECK(metrics::recall(p, t, macro) == Approx(0.5));
  CHECK(metrics::f1_score(p, t, macro) == Approx(0.5555555555555555));
}

TEST_CASE("binary metrics with no positive class at all are zero", "[nn][metrics]") {
  const Tensor zeros_only = values({0, 0, 0});
  CHECK(metrics::precision(zeros_only, zeros_only) == 0.0);
  CHECK(metrics::recall(zeros_only, zeros_only) == 0.0);
  CHECK(metrics::f1_score(zeros_only, zeros_only) == 0.0);
  CHECK(metrics::accuracy(zeros_only, zeros_only) == 1.0);
}

TEST_CASE("scores of shape (N, C) are turned into classes by their row-wise argmax",
          "[nn][metrics]") {
  // Rows predict 2, 0, 1, 1 (the last row ties between 1 and 2: the first maximum wins).
  const Tensor logits(xt::xarray<float>{
      {0.1f, 0.2f, 3.0f}, {5.0f, -1.0f, 0.0f}, {0.0f, 2.0f, 1.0f}, {0.0f, 4.0f, 4.0f}});
  CHECK(metrics::argmax(logits, 1) == std::vector<std::int64_t>{2, 0, 1, 1});
  CHECK(metrics::argmax(logits, -1) == std::vector<std::int64_t>{2, 0, 1, 1});
  CHECK(metrics::argmax(logits, 0) == std::vector<std::int64_t>{1, 3, 3});
  const Tensor t = values({2, 0, 2, 1});
  CHECK(metrics::accuracy(logits, t) == Approx(0.75));
  CHECK(metrics::confusion_matrix(logits, t, 3) ==
        std::vector<std::vector<std::int64_t>>{{1, 0, 0}, {0, 1, 0}, {0, 1, 1}});
}

TEST_CASE("argmax works along any axis of a 3-D tensor", "[nn][metrics]") {
  // x[i][j][k] = values below; along axis 1 each (i, k) picks the larger of two rows.
  const Tensor x(xt::xarray<double>{{{1, 9}, {2, 3}}, {{7, 0}, {7, 1}}});
  CHECK(metrics::argmax(x, 1) == std::vector<std::int64_t>{1, 0, 0, 1});
  CHECK(metrics::argmax(x, 2) == std::vector<std::int64_t>{1, 1, 0, 0});
}

TEST_CASE("binarize gives 1 strictly above the threshold", "[nn][metrics]") {
  const Tensor probabilities = values({0.2, 0.5, 0.51, 0.9}, float64);
  const Tensor classes = metrics::binarize(probabilities, 0.5);
  CHECK(classes.dtype() == float64);
  CHECK(bool(classes.data<double>() == xt::xarray<double>{0, 0, 1, 1}));
  CHECK(metrics::accuracy(classes, values({0, 1, 1, 1})) == Approx(0.75));
  CHECK_THAT(error_message([] {
               metrics::binarize(values({0.1, NAN}), 0.5);
             }),
             Contains("binarize: input[1] is NaN"));
}

TEST_CASE("the confusion matrix has true classes as rows and checks num_classes", "[nn][metrics]") {
  const Tensor p = values(kClassPredictions), t = values(kClassTargets);
  CHECK(metrics::confusion_matrix(p, t) ==
        std::vector<std::vector<std::int64_t>>{{3, 0, 0}, {1, 1, 1}, {0, 1, 3}});
  const auto wide = metrics::confusion_matrix(p, t, 4);
  REQUIRE(wide.size() == 4);
  CHECK(wide[3] == std::vector<std::int64_t>{0, 0, 0, 0});
  CHECK(wide[1] == std::vector<std::int64_t>{1, 1, 1, 0});
  CHECK_THROWS_AS(metrics::confusion_matrix(p, t, 2), std::out_of_range);
  CHECK_THAT(error_message([&] { metrics::confusion_matrix(p, t, 2); }),
             Contains("confusion_matrix: prediction 2 out of range for 2 classes (index 1)"));
  CHECK_THAT(error_message([&] {
               metrics::confusion_matrix(values({0, 1}), values({0, 9000}));
             }),
             Contains("largest class is 9000; pass num_classes"));
}

TEST_CASE("regression metrics match scikit-learn for one output", "[nn][metrics]") {
  const Dtype dtype = GENERATE(float32, float64);
  const Tensor predictions = values({2.5, 0.0, 2, 8}, dtype);
  const Tensor targets = values({3, -0.5, 2, 7}, dtype);
  CHECK(metrics::mean_squared_error(predictions, targets) == Approx(0.375));
  CHECK(metrics::mean_absolute_error(predictions, targets) == Approx(0.5));
  CHECK(metrics::r2_score(predictions, targets) == Approx(0.9486081370449679));
}

TEST_CASE("regression metrics average several outputs uniformly, as scikit-learn",
          "[nn][metrics]") {
  const Tensor predictions(xt::xarray<double>{{0, 2}, {-1, 2}, {8, -5}});
  const Tensor targets(xt::xarray<double>{{0.5, 1}, {-1, 1}, {7, -6}});
  CHECK(metrics::mean_squared_error(predictions, targets) == Approx(0.7083333333333334));
  CHECK(metrics::mean_absolute_error(predictions, targets) == Approx(0.75));
  CHECK(metrics::r2_score(predictions, targets) == Approx(0.9368005266622779));
}

TEST_CASE("r2_score of a constant target is 1 when exact and 0 otherwise", "[nn][metrics]") {
  CHECK(metrics::r2_score(values({2, 2, 2}), values({2, 2, 2})) == 1.0);
  CHECK(metrics::r2_score(values({2, 2, 3}), values({2, 2, 2})) == 0.0);
  CHECK(metrics::r2_score(values({1, 2, 3}), values({1, 2, 3})) == 1.0);
  CHECK(metrics::r2_score(values({2, 2, 2}), values({1, 2, 3})) == 0.0);  // the mean: R² = 0
}

TEST_CASE("classification metrics reject bad inputs by name and value", "[nn][metrics]") {
  const Tensor t = values({0, 1, 1});
  CHECK_THAT(error_message([&] {
               metrics::accuracy(values({0, 1}), t);
             }),
             Contains("accuracy: predictions have 2 samples, targets have 3"));
  CHECK_THAT(error_message([] { metrics::accuracy(values({}), values({})); }),
             Contains("accuracy: empty input (0 samples)"));
  CHECK_THAT(error_message([&] {
               metrics::precision(values({0, 0.7, 1}), t);
             }),
             Contains("precision: predictions[1] = 0.7 is not a class index"));
  CHECK_THAT(error_message([&] {
               metrics::recall(values({0, 1, 1}), values({0, -1, 1}));
             }),
             Contains("recall: targets[1] = -1 is not a class index"));
  CHECK_THAT(error_message([&] {
               metrics::accuracy(values({0, NAN, 1}), t);
             }),
             Contains("accuracy: predictions[1] = nan is not a class index"));
  CHECK_THAT(error_message([&] {
               metrics::f1_score(values({0, 2, 1}), t);
             }),
             Contains("f1_score: average=binary needs labels 0 and 1, predictions[1] is 2"));
  // Logits passed where targets belong: the argument order is (predictions, targets).
  const Tensor logits = ones({3, 2});
  CHECK_THAT(error_message([&] { metrics::accuracy(t, logits); }),
             Contains("accuracy: targets must be class indices of shape (N,), got shape (3, 2)"));
  CHECK_THAT(error_message([&] {
               metrics::accuracy(ones({3, 1}), t);
             }),
             Contains("accuracy: predictions of shape (3, 1) hold one score per row"));
  CHECK_THAT(error_message([&] {
               metrics::accuracy(Tensor(xt::xarray<float>{{0, 1}, {NAN, 0}, {1, 0}}), t);
             }),
             Contains("accuracy: predictions[1, 0] is NaN"));
  CHECK_THROWS_AS(metrics::argmax(logits, 2), std::out_of_range);
  CHECK_THAT(error_message([] {
               metrics::argmax(zeros({2, 0}), 1);
             }),
             Contains("argmax: axis 1 of input of shape (2, 0) is empty"));
}

TEST_CASE("regression metrics reject bad inputs by name and value", "[nn][metrics]") {
  CHECK_THAT(error_message([] {
               metrics::mean_squared_error(ones({8, 1}), ones({8}));
             }),
             Contains("mean_squared_error: predictions of shape (8, 1) and targets of shape "
                      "(8,) differ"));
  CHECK_THAT(error_message([] { metrics::mean_absolute_error(values({}), values({})); }),
             Contains("mean_absolute_error: empty input of shape (0,)"));
  CHECK_THAT(error_message([] {
               metrics::mean_squared_error(values({1, NAN}), values({1, 2}));
             }),
             Contains("mean_squared_error: predictions[1] is nan"));
  CHECK_THAT(error_message([] {
               metrics::mean_absolute_error(values({1, 2}),
                                            values({1, std::numeric_limits<double>::infinity()}));
             }),
             Contains("mean_absolute_error: targets[1] is inf"));
  CHECK_THAT(error_message([] { metrics::r2_score(values({1}), values({2})); }),
             Contains("r2_score: needs at least 2 samples, got 1"));
  CHECK_THAT(error_message([] {
               metrics::r2_score(ones({2, 2, 2}), ones({2, 2, 2}));
             }),
             Contains("r2_score: expected shape (N,) or (N, outputs), got (2, 2, 2)"));
}

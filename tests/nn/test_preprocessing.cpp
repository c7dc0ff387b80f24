// Tests of the scalers, normalize, expand_features, one_hot and the train/validation/test splits.
#include <catch2/catch.hpp>

#include "gradient_checks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "autograd/autograd.hpp"
#include "nn/data/preprocessing.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::rows;
using xgrad::testing::values;

namespace {

// Rows 0..n-1 as x (n, 1) holding i, and y (n,) holding 10 i: a split keeps them paired.
std::pair<Tensor, Tensor> numbered_rows(std::size_t n) {
  Tensor x = reshape(arange(0, static_cast<double>(n), 1, float64), {-1, 1});
  return {x, reshape(x * 10.0, {-1})};
}

// The sorted values of a (n, 1) or (n,) tensor.
std::vector<double> sorted_values(const Tensor& t) {
  const auto& v = t.data<double>();
  std::vector<double> out(v.begin(), v.end());
  std::sort(out.begin(), out.end());
  return out;
}

// How many entries of y equal `label`.
std::size_t count_label(const Tensor& y, double label) {
  const auto& v = y.data<double>();
  return static_cast<std::size_t>(std::count(v.begin(), v.end(), label));
}

}  // namespace

TEST_CASE("StandardScaler standardizes each column with the training mean and population std",
          "[data][preprocessing]") {
  const Tensor x(xt::xarray<double>{{1, 10}, {2, 20}, {3, 30}, {4, 40}});
  data::StandardScaler scaler;
  CHECK_FALSE(scaler.is_fitted());
  const Tensor z = scaler.fit_transform(x);
  REQUIRE(scaler.is_fitted());
  CHECK(scaler.n_samples_seen_ == 4);
  CHECK(values(scaler.mean_) == std::vector<double>{2.5, 25});
  CHECK(scaler.var_.data<double>()(0) == Approx(1.25));
  CHECK(scaler.var_.data<double>()(1) == Approx(125));
  CHECK(scaler.scale_.data<double>()(0) == Approx(std::sqrt(1.25)));
  CHECK(scaler.scale_.data<double>()(1) == Approx(std::sqrt(125.0)));
  const double expected[] = {-1.3416407865, -0.4472135955, 0.4472135955, 1.3416407865};
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(z.data<double>()(i, 0) == Approx(expected[i]));
    CHECK(z.data<double>()(i, 1) == Approx(expected[i]));
  }
}

TEST_CASE("StandardScaler transforms new data with the training statistics and inverts it",
          "[data][preprocessing]") {
  data::StandardScaler scaler;
  scaler.fit(Tensor(xt::xarray<double>{{0, 1}, {2, 3}}));  // mean (1, 2), scale (1, 1)
  const Tensor test(xt::xarray<double>{{5, -2}});
  const Tensor z = scaler.transform(test);
  CHECK(rows(z) == std::vector<std::vector<double>>{{4, -4}});
  CHECK(values(scaler.inverse_transform(z)) == values(test));
  // The transform is an ordinary recorded computation.
  Tensor leaf(xt::xarray<double>{{1, 1}}, /*requires_grad=*/true);
  CHECK(scaler.transform(leaf).requires_grad());
}

TEST_CASE("StandardScaler gives a constant feature scale 1 instead of dividing by zero",
          "[data][preprocessing]") {
  data::StandardScaler scaler;
  const Tensor z = scaler.fit_transform(Tensor(xt::xarray<float>{{1, 5}, {2, 5}, {3, 5}}));
  CHECK(scaler.var_.data<float>()(1) == 0.0f);
  CHECK(scaler.scale_.data<float>()(1) == 1.0f);
  for (std::size_t i = 0; i < 3; ++i) CHECK(z.data<float>()(i, 1) == 0.0f);
  CHECK(z.dtype() == float32);
}

TEST_CASE("a StandardScaler restored from saved statistics transforms as the fitted one",
          "[data][preprocessing]") {
  const Tensor x(xt::xarray<double>{{1, -3}, {4, 7}, {2, 2}});
  data::StandardScaler fitted;
  fitted.fit(x);
  data::StandardScaler restored;
  restored.mean_ = fitted.mean_.clone();
  restored.scale_ = fitted.scale_.clone();
  CHECK(values(restored.transform(x)) == values(fitted.transform(x)));
}

TEST_CASE("StandardScaler reports use before fit and inputs that do not match the fit",
          "[data][preprocessing]") {
  data::StandardScaler scaler;
  const Tensor x = ones({3, 2}, float64);
  CHECK_THROWS_AS(scaler.transform(x), std::runtime_error);
  CHECK_THROWS_WITH(scaler.transform(x),
                    Contains("StandardScaler.transform: the scaler is not fitted; call fit first"));
  CHECK_THROWS_WITH(scaler.inverse_transform(x), Contains("StandardScaler.inverse_transform: "));
  scaler.fit(x);
  CHECK_THROWS_AS(scaler.transform(ones({3, 3}, float64)), std::invalid_argument);
  CHECK_THROWS_WITH(scaler.transform(ones({3, 3}, float64)),
                    Contains("StandardScaler.transform: x has 3 features, the scaler was fitted "
                             "on 2"));
  CHECK_THROWS_WITH(scaler.transform(ones({3, 2}, float32)),
                    Contains("StandardScaler.transform: x is float32, the fitted statistics are "
                             "float64"));
  CHECK_THROWS_WITH(scaler.transform(ones({2}, float64)),
                    Contains("expected x of shape (samples, features), got (2,)"));
}

TEST_CASE("a scaler with inconsistent restored statistics or an undefined input says so",
          "[data][preprocessing]") {
  data::StandardScaler scaler;
  scaler.mean_ = zeros({2}, float64);
  scaler.scale_ = ones({3}, float64);
  CHECK_THROWS_AS(scaler.transform(ones({1, 2}, float64)), std::invalid_argument);
  CHECK_THROWS_WITH(scaler.transform(ones({1, 2}, float64)),
                    Contains("StandardScaler.transform: fitted statistics mean_ and scale_ have "
                             "shapes (2,) and (3,); both must be (features,)"));
  scaler.scale_ = ones({2}, float64);
  CHECK_THROWS_WITH(scaler.transform(Tensor()),
                    Contains("StandardScaler.transform: x is undefined"));
  CHECK_THROWS_WITH(scaler.fit(Tensor()), Contains("StandardScaler.fit: x is undefined"));
  CHECK_THROWS_WITH(data::normalize(Tensor()), Contains("normalize: x is undefined"));
  CHECK_THROWS_WITH(data::expand_features(Tensor()), Contains("expand_features: x is undefined"));
  CHECK_THROWS_WITH(data::one_hot(Tensor()), Contains("one_hot: labels are undefined"));
  CHECK_THROWS_WITH(data::train_test_split(Tensor(), ones({2})),
                    Contains("train_test_split: x or y is undefined"));
}

TEST_CASE("StandardScaler.fit rejects a vector, an empty matrix and NaN", "[data][preprocessing]") {
  data::StandardScaler scaler;
  CHECK_THROWS_AS(scaler.fit(ones({4})), std::invalid_argument);
  CHECK_THROWS_WITH(scaler.fit(ones({4})),
                    Contains("StandardScaler.fit: expected x of shape (samples, features), got "
                             "(4,)"));
  CHECK_THROWS_WITH(scaler.fit(zeros({0, 2})),
                    Contains("StandardScaler.fit: x (0, 2) has no rows"));
  Tensor x = ones({3, 2}, float64);
  x.data<double>()(1, 0) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(scaler.fit(x), Contains("StandardScaler.fit: x holds nan at row 1, column 0"));
}

TEST_CASE("MinMaxScaler maps each column's training range onto feature_range",
          "[data][preprocessing]") {
  data::MinMaxScaler scaler({-1.0, 1.0});
  const Tensor x(xt::xarray<double>{{0, 10}, {5, 20}, {10, 30}});
  const Tensor z = scaler.fit_transform(x);
  CHECK(values(scaler.data_min_) == std::vector<double>{0, 10});
  CHECK(values(scaler.data_max_) == std::vector<double>{10, 30});
  CHECK(rows(z) == std::vector<std::vector<double>>{{-1, -1}, {0, 0}, {1, 1}});
  // Outside the training range there is no clipping.
  const Tensor outside = scaler.transform(Tensor(xt::xarray<double>{{20, 0}}));
  CHECK(outside.data<double>()(0, 0) == Approx(3.0));
  CHECK(outside.data<double>()(0, 1) == Approx(-2.0));
  const Tensor back = scaler.inverse_transform(z);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(back.data<double>()(i, 0) == Approx(x.data<double>()(i, 0)));
    CHECK(back.data<double>()(i, 1) == Approx(x.data<double>()(i, 1)));
  }
  CHECK(data::MinMaxScaler().feature_range() == std::make_pair(0.0, 1.0));
}

TEST_CASE("MinMaxScaler maps a constant feature to the low end and checks its range",
          "[data][preprocessing]") {
  data::MinMaxScaler scaler({2.0, 4.0});
  const Tensor z = scaler.fit_transform(Tensor(xt::xarray<double>{{7, 1}, {7, 3}}));
  CHECK(rows(z) == std::vector<std::vector<double>>{{2, 2}, {2, 4}});
  CHECK_THROWS_AS(data::MinMaxScaler({1.0, 1.0}), std::invalid_argument);
  CHECK_THROWS_WITH(data::MinMaxScaler({1.0, 0.0}),
                    Contains("MinMaxScaler: feature_range: range (1, 0) needs finite low < high"));
  data::MinMaxScaler unfitted;
  CHECK_THROWS_AS(unfitted.transform(ones({1, 1})), std::runtime_error);
  CHECK_THROWS_WITH(unfitted.transform(ones({1, 1})),
                    Contains("MinMaxScaler.transform: the scaler is not fitted"));
  CHECK_THROWS_WITH(
      scaler.transform(ones({1, 3}, float64)),
      Contains("MinMaxScaler.transform: x has 3 features, the scaler was fitted on 2"));
}

TEST_CASE("normalize uses the global minimum and maximum unless per_feature",
          "[data][preprocessing]") {
  const Tensor x(xt::xarray<double>{{0, 10}, {5, 20}});
  CHECK(rows(data::normalize(x)) == std::vector<std::vector<double>>{{-1, 0}, {-0.5, 1}});
  CHECK(rows(data::normalize(x, -1, 1, /*per_feature=*/true)) ==
        std::vector<std::vector<double>>{{-1, -1}, {1, 1}});
  CHECK(rows(data::normalize(x, 0, 1)) == std::vector<std::vector<double>>{{0, 0.5}, {0.25, 1}});
  // Any shape, a scalar included; a constant maps to low.
  const Tensor cube = data::normalize(arange(0, 8, 1, float64).reshape({2, 2, 2}));
  CHECK(cube.shape() == Shape{2, 2, 2});
  CHECK(cube.data<double>()(1, 1, 1) == 1.0);
  const Tensor scalar = data::normalize(scalar_tensor(3.0, float64));
  CHECK(scalar.shape() == Shape{});
  CHECK(scalar.item() == -1.0);
}

TEST_CASE("normalize rejects an empty range, an empty tensor and a vector per feature",
          "[data][preprocessing]") {
  const Tensor x = ones({2, 2});
  CHECK_THROWS_AS(data::normalize(x, 1, -1), std::invalid_argument);
  CHECK_THROWS_WITH(data::normalize(x, 1, -1),
                    Contains("normalize: range (1, -1) needs finite low < high"));
  CHECK_THROWS_WITH(data::normalize(zeros({0, 3})), Contains("normalize: x (0, 3) is empty"));
  CHECK_THROWS_WITH(data::normalize(ones({3}), -1, 1, true),
                    Contains("normalize: expected x of shape (samples, features), got (3,)"));
  Tensor bad = ones({2}, float64);
  bad.data<double>()(1) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(data::normalize(bad), Contains("normalize: x holds inf at index 1"));
}

TEST_CASE("expand_features joins x, x^2, sin x, cos x, sin x^2, cos x^2 in that block order",
          "[data][preprocessing]") {
  const Tensor x(xt::xarray<double>{{0.5, -1.0}, {2.0, 3.0}});
  const Tensor e = data::expand_features(x);
  REQUIRE(e.shape() == Shape{2, 12});
  for (std::size_t i = 0; i < 2; ++i) {
    for (std::size_t j = 0; j < 2; ++j) {
      const double v = x.data<double>()(i, j);
      CHECK(e.data<double>()(i, 0 + j) == v);
      CHECK(e.data<double>()(i, 2 + j) == v * v);
      CHECK(e.data<double>()(i, 4 + j) == std::sin(v));
      CHECK(e.data<double>()(i, 6 + j) == std::cos(v));
      CHECK(e.data<double>()(i, 8 + j) == std::sin(v * v));
      CHECK(e.data<double>()(i, 10 + j) == std::cos(v * v));
    }
  }
  CHECK(e.data<double>()(0, 3) == 1.0);  // (-1)^2, the second feature's square
}

TEST_CASE("expand_features treats a vector as one feature and rejects other ranks",
          "[data][preprocessing]") {
  const Tensor e = data::expand_features(Tensor(xt::xarray<float>{0.0f, 2.0f, 4.0f}));
  REQUIRE(e.shape() == Shape{3, 6});
  CHECK(e.dtype() == float32);
  CHECK(e.data<float>()(1, 1) == 4.0f);
  CHECK(e.data<float>()(0, 3) == 1.0f);
  CHECK_THROWS_AS(data::expand_features(ones({2, 2, 2})), std::invalid_argument);
  CHECK_THROWS_WITH(data::expand_features(ones({2, 2, 2})),
                    Contains("expand_features: expected x of shape (samples, features) or "
                             "(samples,), got (2, 2, 2)"));
}

TEST_CASE("one_hot puts a 1 in each label's column", "[data][preprocessing]") {
  const Tensor h = data::one_hot(std::vector<std::int64_t>{2, 0, 1}, 4, float64);
  CHECK(rows(h) == std::vector<std::vector<double>>{{0, 0, 1, 0}, {1, 0, 0, 0}, {0, 1, 0, 0}});
  const Tensor inferred = data::one_hot(Tensor(xt::xarray<float>{1, 0}));
  CHECK(inferred.dtype() == float32);
  CHECK(rows(inferred) == std::vector<std::vector<double>>{{0, 1}, {1, 0}});
  CHECK(data::one_hot(std::vector<std::int64_t>{}, 3).shape() == Shape{0, 3});
}

TEST_CASE("one_hot rejects labels out of range or not whole and a bad num_classes",
          "[data][preprocessing]") {
  CHECK_THROWS_AS(data::one_hot(std::vector<std::int64_t>{0, 3}, 3), std::out_of_range);
  CHECK_THROWS_WITH(data::one_hot(std::vector<std::int64_t>{0, 3}, 3),
                    Contains("one_hot: label 3 out of range for 3 classes (row 1)"));
  CHECK_THROWS_WITH(data::one_hot(std::vector<std::int64_t>{-1}, 3),
                    Contains("one_hot: label -1 out of range for 3 classes (row 0)"));
  CHECK_THROWS_AS(data::one_hot(std::vector<std::int64_t>{0}, 0), std::invalid_argument);
  CHECK_THROWS_WITH(data::one_hot(std::vector<std::int64_t>{0}, -2),
                    Contains("one_hot: num_classes must be positive, or -1 to infer it; got -2"));
  CHECK_THROWS_WITH(data::one_hot(std::vector<std::int64_t>{}),
                    Contains("one_hot: cannot infer num_classes from no labels"));
  CHECK_THROWS_AS(data::one_hot(Tensor(xt::xarray<double>{0, 1.5})), std::invalid_argument);
  CHECK_THROWS_WITH(data::one_hot(Tensor(xt::xarray<double>{0, 1.5})),
                    Contains("one_hot: label 1.5 at row 1 is not a whole number"));
  CHECK_THROWS_WITH(data::one_hot(ones({2, 2})),
                    Contains("one_hot: expected labels of shape (N,), got (2, 2)"));
}

TEST_CASE("train_test_split shuffles by seed and keeps the rows of x and y together",
          "[data][preprocessing]") {
  const auto [x, y] = numbered_rows(10);
  const data::TrainTestSplit split = data::train_test_split(x, y, 0.3, 1);
  REQUIRE(split.x_train.shape() == Shape{7, 1});
  REQUIRE(split.x_test.shape() == Shape{3, 1});
  REQUIRE(split.y_train.shape() == Shape{7});
  REQUIRE(split.y_test.shape() == Shape{3});
  for (std::size_t i = 0; i < 7; ++i) {
    CHECK(split.y_train.data<double>()(i) == 10 * split.x_train.data<double>()(i, 0));
  }
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(split.y_test.data<double>()(i) == 10 * split.x_test.data<double>()(i, 0));
  }
  std::vector<double> all = sorted_values(concat({split.x_train, split.x_test}));
  CHECK(all == std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  // The same seed gives the same split; another seed another one.
  const data::TrainTestSplit again = data::train_test_split(x, y, 0.3, 1);
  CHECK(values(again.x_test) == values(split.x_test));
  const data::TrainTestSplit other = data::train_test_split(x, y, 0.3, 2);
  CHECK(values(other.x_test) != values(split.x_test));
  // ceil(0.25 * 10) = 3 test rows, as scikit-learn.
  CHECK(data::train_test_split(x, y).x_test.size(0) == 3);
}

TEST_CASE("a stratified split keeps the class proportions in every split",
          "[data][preprocessing]") {
  SECTION("two classes, 60 and 40") {
    xt::xarray<double> labels = xt::zeros<double>({100});
    for (std::size_t i = 60; i < 100; ++i) labels(i) = 1;
    const Tensor y(labels);
    const Tensor x = reshape(arange(0, 100, 1, float64), {-1, 1});
    const data::TrainTestSplit split = data::train_test_split(x, y, 0.25, 7, /*stratify=*/true);
    CHECK(count_label(split.y_test, 0) == 15);
    CHECK(count_label(split.y_test, 1) == 10);
    CHECK(count_label(split.y_train, 0) == 45);
    CHECK(count_label(split.y_train, 1) == 30);
    // Classes are interleaved, not stored class after class.
    const auto& y_train = split.y_train.data<double>();
    CHECK(std::count(y_train.begin(), y_train.begin() + 20, 1.0) > 0);
  }
  SECTION("three classes, 50, 30 and 20, with a validation split") {
    xt::xarray<double> labels = xt::zeros<double>({100});
    for (std::size_t i = 0; i < 100; ++i) labels(i) = i % 10 < 5 ? 2 : (i % 10 < 8 ? 0 : 1);
    const Tensor y(labels);
    const Tensor x = reshape(arange(0, 100, 1, float64), {-1, 1});
    const data::TrainValTestSplit split = data::train_val_test_split(x, y, 0.2, 0.1, 3, true);
    CHECK(split.x_train.size(0) == 70);
    CHECK(split.x_val.size(0) == 20);
    CHECK(split.x_test.size(0) == 10);
    CHECK(count_label(split.y_val, 2) == 10);
    CHECK(count_label(split.y_val, 0) == 6);
    CHECK(count_label(split.y_val, 1) == 4);
    CHECK(count_label(split.y_test, 2) == 5);
    CHECK(count_label(split.y_test, 0) == 3);
    CHECK(count_label(split.y_test, 1) == 2);
    CHECK(count_label(split.y_train, 2) == 35);
    CHECK(count_label(split.y_train, 0) == 21);
    CHECK(count_label(split.y_train, 1) == 14);
    const std::vector<double> all =
        sorted_values(concat({split.x_train, split.x_val, split.x_test}));
    for (std::size_t i = 0; i < 100; ++i) CHECK(all[i] == static_cast<double>(i));
  }
  SECTION("shares that do not divide evenly stay within one sample") {
    const Tensor y(xt::xarray<double>{0, 0, 0, 0, 0, 0, 0, 1, 1, 1});
    const data::TrainTestSplit split = data::train_test_split(ones({10, 2}), y, 0.5, 0, true);
    CHECK(count_label(split.y_test, 0) == 4);  // shares 3.5 and 1.5; the tie goes to class 0
    CHECK(count_label(split.y_test, 1) == 1);
  }
}

TEST_CASE("train_val_test_split gives ceil-sized validation and test splits",
          "[data][preprocessing]") {
  const auto [x, y] = numbered_rows(11);
  const data::TrainValTestSplit split = data::train_val_test_split(x, y, 0.2, 0.1, 0);
  CHECK(split.x_val.size(0) == 3);   // ceil(2.2)
  CHECK(split.x_test.size(0) == 2);  // ceil(1.1)
  CHECK(split.x_train.size(0) == 6);
  CHECK(split.y_train.size(0) == 6);
  const std::vector<double> all = sorted_values(concat({split.x_train, split.x_val, split.x_test}));
  for (std::size_t i = 0; i < 11; ++i) CHECK(all[i] == static_cast<double>(i));
}

TEST_CASE("the splits validate fractions, row counts and class labels", "[data][preprocessing]") {
  const auto [x, y] = numbered_rows(10);
  for (const double bad : {0.0, 1.0, -0.1, 1.5, std::nan("")}) {
    CHECK_THROWS_AS(data::train_test_split(x, y, bad), std::invalid_argument);
    CHECK_THROWS_WITH(data::train_test_split(x, y, bad),
                      Contains("train_test_split: test_fraction must be in (0, 1), got"));
  }
  CHECK_THROWS_WITH(data::train_val_test_split(x, y, 0.0, 0.2),
                    Contains("train_val_test_split: val_fraction must be in (0, 1), got 0"));
  CHECK_THROWS_WITH(data::train_val_test_split(x, y, 0.5, 0.5),
                    Contains("train_val_test_split: val_fraction + test_fraction = 1 leaves no "
                             "training rows; the sum must be below 1"));
  const auto [x3, y3] = numbered_rows(3);
  CHECK_THROWS_WITH(data::train_val_test_split(x3, y3, 0.4, 0.4),
                    Contains("train_val_test_split: 3 rows are too few: 2 test and 2 validation "
                             "rows leave the training split empty"));
  const auto [x1, y1] = numbered_rows(1);
  CHECK_THROWS_WITH(data::train_test_split(x1, y1, 0.5),
                    Contains("train_test_split: 1 rows are too few: 1 test rows leave"));
  CHECK_THROWS_WITH(
      data::train_test_split(x, ones({9})),
      Contains("train_test_split: x (10, 1) and y (9,) need the same number of rows"));
  CHECK_THROWS_WITH(data::train_test_split(x, ones({10, 2}), 0.2, 0, true),
                    Contains("train_test_split: stratify needs y of shape (N,) holding class "
                             "indices, got (10, 2)"));
  CHECK_THROWS_WITH(data::train_test_split(x, reshape(x, {-1}) * 0.5, 0.2, 0, true),
                    Contains("train_test_split: stratify needs class indices in y, but y[1] is "
                             "0.5"));
}

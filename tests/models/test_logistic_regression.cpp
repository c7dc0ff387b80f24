// Tests of models::LogisticRegression: the notebook demo, a real data set against scikit-learn,
// multinomial classification, probabilities and errors.
#include <catch2/catch.hpp>

#include <cstdio>

#include "gradient_checks.hpp"
#include "model_data.hpp"
#include "models/models.hpp"
#include "nn/nn.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::error_message;

TEST_CASE("the notebook demo reaches at least 96% accuracy and stops early", "[models][logistic]") {
  // 1,000 samples, 2 features, 2 classes, one cluster each, class_sep 1.0; U[0, 1) init from
  // seed 0; full-batch GD, lr 0.1, up to 10,000 steps, stop when the loss improves by < 1e-7.
  // The notebook reached 97.1% on its unseeded data. Across seeds, a linear boundary separates
  // such data to 87-99.8% (median 95.5%, for scikit-learn's generator and xgrad's alike), so the
  // demo uses seed 10, whose data are as hard as the notebook's.
  Generator generator(10);
  data::Samples demo = data::make_classification(1000, 2, 2, 2, 1, 1.0, generator);
  models::LogisticRegression::Options notebook;  // the notebook's settings, not the defaults
  notebook.init = nn::Init::uniform_unit;
  notebook.seed = 0;
  notebook.normalization = models::Normalization::none;
  models::LogisticRegression model(notebook);
  models::TrainOptions options;
  options.epochs = 10000;
  options.learning_rate = 0.1;
  options.early_stopping = true;
  const nn::History& history = model.fit(demo.x, demo.y, options);
  const double accuracy = model.score(demo.x, demo.y);
  INFO("stopped after " << history.epochs.size() << " steps at accuracy " << accuracy);
  CHECK(accuracy >= 0.96);
  CHECK(history.stopped_early);
}

TEST_CASE("breast cancer: test accuracy within 1 point of scikit-learn's LogisticRegression",
          "[models][logistic]") {
  // scripts/make_model_reference.py: LogisticRegression(C=1) on the same split and
  // standardization scores 0.964912 on the test rows. Its penalty (1 / 2C) |w|^2 on the summed
  // loss is l2 = 1 / (C N) here, where the loss is a mean over N training rows.
  const testing::Split split = testing::every_fifth_row_split("breast_cancer");
  models::LogisticRegression::Options model_options;
  model_options.normalization = models::Normalization::standard;
  model_options.dtype = float64;
  models::LogisticRegression model(model_options);
  models::TrainOptions options;
  options.epochs = 3000;
  options.learning_rate = 0.5;
  options.l2 = 1.0 / static_cast<double>(split.x_train.size(0));
  model.fit(split.x_train, split.y_train, options);
  const double accuracy = model.score(split.x_test, split.y_test);
  INFO("test accuracy " << accuracy);
  CHECK(accuracy == Approx(0.964912).margin(0.01));
  CHECK(model.score(split.x_train, split.y_train) == Approx(0.993407).margin(0.01));
}

TEST_CASE("iris: a multinomial model classifies three species", "[models][logistic]") {
  const testing::Split split = testing::every_fifth_row_split("iris");
  models::LogisticRegression::Options model_options;
  model_options.normalization = models::Normalization::standard;
  models::LogisticRegression model(model_options);
  models::TrainOptions options;
  options.epochs = 500;
  options.learning_rate = 0.5;
  model.fit(split.x_train, split.y_train, options);
  CHECK(model.multinomial());
  CHECK(model.score(split.x_test, split.y_test) >= 0.93);
  const Tensor p = model.predict_proba(split.x_test);
  CHECK(p.shape() == Shape{30, 3});
  const Tensor row_sums = sum(p, {1});
  for (std::size_t i = 0; i < 30; ++i) CHECK(row_sums.data<float>()(i) == Approx(1.0));
}

TEST_CASE("the decision threshold moves binary predictions", "[models][logistic]") {
  Generator generator(3);
  data::Samples d = data::make_classification(200, 2, 2, 2, 1, 2.0, generator);
  models::LogisticRegression model;
  models::TrainOptions options;
  options.epochs = 300;
  model.fit(d.x, d.y, options);
  const double positives_low = sum(model.predict(d.x, 0.05)).item();
  const double positives_mid = sum(model.predict(d.x, 0.5)).item();
  const double positives_high = sum(model.predict(d.x, 0.95)).item();
  CHECK(positives_low >= positives_mid);
  CHECK(positives_mid >= positives_high);
  CHECK_THAT(error_message([&] { model.predict(d.x, 1.5); }),
             Contains("threshold must be in [0, 1], got 1.5"));
}

TEST_CASE("logistic regression refuses labels that are not class indices", "[models][logistic]") {
  models::LogisticRegression model;
  CHECK_THAT(error_message([&] {
               model.fit(ones({3, 2}), Tensor(xt::xarray<float>{0, 1, 0.5}));
             }),
             Contains("LogisticRegression.fit: y[2] = 0.5 is not a class index"));
  CHECK_THAT(error_message([&] {
               model.fit(ones({3, 2}), Tensor(xt::xarray<float>{0, -1, 1}));
             }),
             Contains("y[1] = -1 is not a class index"));
  CHECK_THAT(error_message([&] {
               model.fit(ones({3, 2}), ones({3, 1}));
             }),
             Contains("expected class indices of shape (3,)"));
}

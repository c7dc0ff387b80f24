// Tests of models::LinearRegression: the notebook demo, noisy data, real data, API and errors.
#include <catch2/catch.hpp>

#include "gradient_checks.hpp"
#include "model_data.hpp"
#include "models/models.hpp"
#include "nn/nn.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::error_message;

TEST_CASE("the notebook demo recovers the true coefficients to 0.001 and stops early",
          "[models][linear]") {
  // 1,000 samples x 10 informative features, bias 0.637, no noise; U[0, 1) init from seed 0;
  // full-batch GD with learning rate 0.1; stop when the training loss improves by < 1e-7.
  Generator generator(0);
  data::RegressionSamples demo = data::make_regression(1000, 10, {}, 0.637, 0.0, generator);
  models::LinearRegression::Options notebook;  // the notebook's settings, not the defaults
  notebook.init = nn::Init::uniform_unit;
  notebook.seed = 0;
  notebook.normalization = models::Normalization::none;
  models::LinearRegression model(notebook);
  models::TrainOptions options;
  options.epochs = 1000;
  options.learning_rate = 0.1;
  options.early_stopping = true;
  options.min_delta = 1e-7;
  const nn::History& history = model.fit(demo.x, demo.y, options);
  CHECK(history.stopped_early);
  CHECK(history.epochs.size() < 1000);
  const Tensor coef = model.coef();
  for (std::size_t i = 0; i < 10; ++i) {
    CHECK(coef.data<float>()(i) == Approx(demo.coef.data<float>()(i)).margin(1e-3));
  }
  CHECK(model.intercept().data<float>()(0) == Approx(0.637).margin(1e-3));
  CHECK(model.score(demo.x, demo.y) > 0.999999);
}

TEST_CASE("noisy synthetic data: the coefficients are recovered within 2%", "[models][linear]") {
  Generator generator(1);
  data::RegressionSamples data = data::make_regression(2000, 5, {}, 3.0, 5.0, generator, float64);
  models::LinearRegression::Options model_options;
  model_options.dtype = float64;
  models::LinearRegression model(model_options);
  models::TrainOptions options;
  options.epochs = 500;
  options.learning_rate = 0.1;
  model.fit(data.x, data.y, options);
  for (std::size_t i = 0; i < 5; ++i) {
    const double truth = data.coef.data<double>()(i);
    INFO("coefficient " << i << ": true " << truth << ", fitted "
                        << model.coef().data<double>()(i));
    CHECK(model.coef().data<double>()(i) == Approx(truth).epsilon(0.02));
  }
}

TEST_CASE("diabetes: gradient descent reaches the closed-form least-squares R^2",
          "[models][linear]") {
  // scripts/make_model_reference.py: scikit-learn's closed-form LinearRegression on the same
  // split and standardization reaches R^2 0.514395 (train) and 0.519039 (test).
  const testing::Split split = testing::every_fifth_row_split("diabetes");
  models::LinearRegression::Options model_options;
  model_options.dtype = float64;
  model_options.normalization = models::Normalization::standard;
  models::LinearRegression model(model_options);
  models::TrainOptions options;
  // Highly correlated features (s1, s2) make the loss steep along one direction: lr 0.3 diverges.
  options.epochs = 5000;
  options.learning_rate = 0.1;
  model.fit(split.x_train, split.y_train, options);
  CHECK(model.score(split.x_train, split.y_train) == Approx(0.514395).margin(0.01));
  CHECK(model.score(split.x_test, split.y_test) == Approx(0.519039).margin(0.01));
}

TEST_CASE("a fitted linear regression saves, reloads and predicts the same", "[models][linear]") {
  Generator generator(2);
  data::RegressionSamples data = data::make_regression(100, 3, {}, 1.0, 0.5, generator);
  models::LinearRegression::Options model_options;
  model_options.normalization = models::Normalization::standard;
  models::LinearRegression model(model_options), reloaded;
  models::TrainOptions options;
  options.epochs = 50;
  model.fit(data.x, data.y, options);
  const std::string path = "linear_regression_test.npz";
  model.save(path);
  reloaded.load(path);
  std::remove(path.c_str());
  CHECK(bool(reloaded.predict(data.x).data<float>() == model.predict(data.x).data<float>()));
  CHECK(reloaded.n_features() == 3);
}

TEST_CASE("linear regression refuses bad input with the method and shapes named",
          "[models][linear]") {
  models::LinearRegression model;
  CHECK_THAT(error_message([&] {
               model.predict(ones({2, 3}));
             }),
             Contains("LinearRegression.predict: the model has not been fitted or loaded"));
  CHECK_THAT(error_message([&] { model.fit(ones({4}), ones({4})); }),
             Contains("X must be 2-D (N, features); got (4,)"));
  CHECK_THAT(error_message([&] {
               model.fit(ones({4, 2}), ones({3}));
             }),
             Contains("y has shape (3,); expected (4,) or (4, k)"));
  Tensor bad = ones({4, 2});
  bad.data<float>()(1, 1) = std::nanf("");
  CHECK_THAT(error_message([&] { model.fit(bad, ones({4})); }), Contains("nan"));
  models::TrainOptions options;
  options.epochs = 2;
  model.fit(ones({4, 2}), ones({4}), options);
  CHECK_THAT(error_message([&] {
               model.predict(ones({4, 3}));
             }),
             Contains("X has shape (4, 3); the model expects (N, 2)"));
  options.validation_fraction = 1.5;
  CHECK_THAT(error_message([&] {
               model.fit(ones({4, 2}), ones({4}), options);
             }),
             Contains("validation_fraction must be in [0, 1), got 1.5"));
}

// Tests of models::LinearRegression: the notebook demo, noisy data, real data, API and errors.
#include <catch2/catch.hpp>

#include "gradient_checks.hpp"
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
  models::LinearRegression model;
  models::FitOptions options;
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

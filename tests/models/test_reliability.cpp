// Issue 12's defects in the models: labels that are not classes, a single class, a split that
// leaves a class out, the number of classes, one seed for a whole run, and defaults that train on
// unscaled data.
#include <catch2/catch.hpp>

#include <cmath>

#include "gradient_checks.hpp"
#include "models/models.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::error_message;
using xgrad::testing::f64;

namespace {

// Four points of two features with the given labels.
Tensor four_rows() {
  return f64({{0.0, 0.0}, {0.0, 1.0}, {1.0, 0.0}, {1.0, 1.0}});
}

models::MLP::Options hidden(std::size_t units) {
  models::MLP::Options options;
  options.hidden = {units};
  return options;
}

models::TrainOptions few_epochs() {
  models::TrainOptions o;
  o.epochs = 3;
  return o;
}

}  // namespace

TEST_CASE("a wild label is refused by row, with nothing allocated by its value",
          "[models][classes]") {
  // 1e9 once made a 1,000,000,001-class output layer.
  const Tensor y = f64({0.0, 1.0, 1e9, 1.0});
  models::MLP mlp;
  CHECK_THAT(error_message([&] { mlp.fit(four_rows(), y, few_epochs()); }),
             Contains("MLP.fit: y[2] = 1000000000 is not one of the classes 0..2"));
  models::LogisticRegression logistic;
  CHECK_THAT(error_message([&] { logistic.fit(four_rows(), y, few_epochs()); }),
             Contains("LogisticRegression.fit: y[2] = 1000000000 is not one of the classes 0..2"));
  CHECK_THAT(error_message([&] {
               mlp.fit(four_rows(), f64({0.0, 1.0, 1e30, 1.0}));
             }),
             Contains("MLP.fit: y[2] = 1e+30 is not a class index"));
  // A skipped class: labels 0 and 2 are two classes, not three.
  CHECK_THAT(error_message([&] {
               mlp.fit(four_rows(), f64({0.0, 2.0, 0.0, 2.0}));
             }),
             Contains("y[1] = 2 is not one of the classes 0..1"));
}

TEST_CASE("a classifier refuses a single class", "[models][classes]") {
  const Tensor y = f64({0.0, 0.0, 0.0, 0.0});
  models::LogisticRegression logistic;
  CHECK_THAT(error_message([&] { logistic.fit(four_rows(), y, few_epochs()); }),
             Contains("LogisticRegression.fit: needs samples of at least 2 classes; y holds only "
                      "class 0"));
  models::MLP mlp;
  CHECK_THAT(error_message([&] {
               mlp.fit(four_rows(), f64({3.0, 3.0, 3.0, 3.0}));
             }),
             Contains("MLP.fit: needs samples of at least 2 classes; y holds only class 3"));
}

TEST_CASE("num_classes builds every class's output when the training rows lack one",
          "[models][classes]") {
  models::MLP::Options options;
  options.hidden = {4};
  options.num_classes = 4;
  models::MLP mlp(options);
  mlp.fit(four_rows(), f64({0.0, 1.0, 2.0, 1.0}), few_epochs());
  CHECK(mlp.predict_proba(four_rows()).shape() == Shape{4, 4});
  CHECK_THAT(error_message([&] {
               mlp.fit(four_rows(), f64({0.0, 1.0, 4.0, 1.0}));
             }),
             Contains("MLP.fit: y[2] = 4 is out of range for num_classes 4"));
  // Inferred, the same labels give three classes.
  models::MLP inferred(hidden(4));
  inferred.fit(four_rows(), f64({0.0, 1.0, 2.0, 1.0}), few_epochs());
  CHECK(inferred.predict_proba(four_rows()).shape() == Shape{4, 3});
}

TEST_CASE("a validation split that leaves a class out of training is refused by name",
          "[models][classes]") {
  // 10 rows of 3 classes, 90% held out: one training row, so two classes have none.
  auto x = xt::xarray<double>::from_shape({10, 2});
  auto y = xt::xarray<double>::from_shape({10});
  for (std::size_t i = 0; i < 10; ++i) x(i, 0) = static_cast<double>(i), x(i, 1) = 1, y(i) = i % 3;
  models::TrainOptions o = few_epochs();
  o.validation_fraction = 0.9;
  models::MLP mlp;
  CHECK_THAT(error_message([&] { mlp.fit(Tensor(x), Tensor(y), o); }),
             Contains("MLP.fit: the validation split (validation_fraction 0.9) left class") &&
                 Contains("out of the training rows"));
}

TEST_CASE("one manual_seed makes a whole run reproducible; per-object seeds override it",
          "[models][seed]") {
  Generator data_generator(5);
  const data::Samples moons = data::make_moons(60, 0.1, data_generator);
  models::TrainOptions o;
  o.epochs = 5;
  o.batch_size = 16;
  o.validation_fraction = 0.2;
  auto run = [&](std::uint64_t seed) {
    manual_seed(seed);
    models::MLP mlp(hidden(8));
    mlp.fit(moons.x, moons.y, o);
    return testing::values(mlp.predict_proba(moons.x));
  };
  const std::vector<double> first = run(7);
  CHECK(run(7) == first);
  CHECK(run(8) != first);
  // Explicit seeds win over the global one.
  auto seeded = [&](std::uint64_t global) {
    manual_seed(global);
    models::MLP::Options options = hidden(8);
    options.seed = 3;
    models::TrainOptions fixed = o;
    fixed.seed = 4;
    models::MLP mlp(options);
    mlp.fit(moons.x, moons.y, fixed);
    return testing::values(mlp.predict_proba(moons.x));
  };
  CHECK(seeded(1) == seeded(2));
}

TEST_CASE("linear and logistic regression train on unscaled data with their defaults",
          "[models][defaults]") {
  // Features in the thousands: the notebook's settings (no scaling, U(0, 1) start) diverge at the
  // default learning rate; the defaults (standardized inside the model, zero start) do not.
  auto x = xt::xarray<double>::from_shape({40, 2});
  auto y = xt::xarray<double>::from_shape({40});
  auto label = xt::xarray<double>::from_shape({40});
  for (std::size_t i = 0; i < 40; ++i) {
    const double a = 1000.0 + 50.0 * static_cast<double>(i % 7);
    const double b = 3000.0 - 20.0 * static_cast<double>(i);
    x(i, 0) = a, x(i, 1) = b;
    y(i) = 0.5 * a - 0.25 * b + 7;
    label(i) = a + b > 4000 ? 1 : 0;
  }
  models::TrainOptions o;
  o.epochs = 300;
  models::LinearRegression linear;
  linear.fit(Tensor(x), Tensor(y), o);
  CHECK(linear.score(Tensor(x), Tensor(y)) > 0.99);
  models::LogisticRegression logistic;
  logistic.fit(Tensor(x), Tensor(label), o);
  CHECK(logistic.score(Tensor(x), Tensor(label)) > 0.9);

  models::LinearRegression::Options notebook;
  notebook.init = nn::Init::uniform_unit;
  notebook.normalization = models::Normalization::none;
  models::LinearRegression old_defaults(notebook);
  CHECK_THROWS_AS(old_defaults.fit(Tensor(x), Tensor(y), o), nn::TrainingDiverged);
}

TEST_CASE("the old names of the models' options still compile", "[models][deprecated]") {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  models::FitOptions old_options;
  old_options.optimizer = models::Optimizer::adam;
  CHECK(models::parse_optimizer("adam") == models::Solver::adam);
#pragma GCC diagnostic pop
  models::TrainOptions renamed = old_options;
  CHECK(models::solver_name(renamed.optimizer) == std::string("adam"));
}

TEST_CASE("classifiers accept int64 labels", "[models][classes]") {
  const Tensor y(xt::xarray<std::int64_t>{0, 1, 2, 1});
  models::MLP mlp(hidden(4));
  mlp.fit(four_rows(), y, few_epochs());
  CHECK(mlp.predict_proba(four_rows()).shape() == Shape{4, 3});
  CHECK_THAT(error_message([&] {
               mlp.fit(four_rows(), Tensor(xt::xarray<std::int64_t>{0, 1, 1000000000, 1}));
             }),
             Contains("MLP.fit: y[2] = 1000000000 is not one of the classes 0..2"));
}

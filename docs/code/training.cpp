// The code of docs/training.md: losses, optimizers, schedulers, data loading, the training loop
// (nn::fit and nn::Trainer) and the ready-made models. Files are written to the working directory
// (tests/docs in the build folder under CTest) and removed at the end of each test.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xmath.hpp>

#include "models/models.hpp"
#include "nn/nn.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;

namespace {

// The moons problem of the page: 400 noisy points of two interleaved half circles, stratified
// into 300 training and 100 validation rows.
data::TrainTestSplit moons_split() {
  // [snippet: data]
  Generator generator(0);
  data::Samples moons = data::make_moons(400, /*noise=*/0.15, generator);  // x (400, 2), y (400,)
  data::TrainTestSplit split = data::train_test_split(moons.x, moons.y, /*test_fraction=*/0.25,
                                                      /*seed=*/0, /*stratify=*/true);
  data::Dataset train(split.x_train, split.y_train);     // 300 rows
  data::Dataset validation(split.x_test, split.y_test);  // 100 rows
  // [end]
  CHECK(train.size() == 300);
  CHECK(validation.size() == 100);
  return split;
}

}  // namespace

TEST_CASE("losses come as functions and as modules", "[docs][training]") {
  // [snippet: losses]
  Tensor prediction = Tensor(xt::xarray<float>{2.5, 0.0});
  Tensor target = Tensor(xt::xarray<float>{3.0, -0.5});
  CHECK(mse_loss(prediction, target).item() == Approx(0.25));
  nn::MSELoss mse;  // the same loss as a module
  CHECK(mse(prediction, target).item() == Approx(0.25));
  CHECK_THROWS_WITH(mse_loss(prediction, target.reshape({2, 1})),
                    Contains("(2,)") && Contains("(2, 1)"));  // never broadcast silently

  Tensor logits = Tensor(xt::xarray<float>{{2.0, 0.5, -1.0}, {0.1, 0.2, 3.0}});  // (N, C)
  Tensor labels = Tensor(xt::xarray<float>{0, 2});  // class indices, held in a float tensor
  CHECK(cross_entropy(logits, labels).item() == Approx(0.1755).epsilon(1e-3));
  CHECK(cross_entropy(logits, std::vector<std::int64_t>{0, 2}).item() ==
        Approx(0.1755).epsilon(1e-3));
  nn::CrossEntropyLoss smoothed(Reduction::mean, /*label_smoothing=*/0.1);
  CHECK(smoothed.repr() == "CrossEntropyLoss(reduction=mean, label_smoothing=0.1)");
  // [end]
}

TEST_CASE("a training loop by hand: zero_grad, backward, step", "[docs][training]") {
  // [snippet: manual-loop]
  Generator generator(0);
  Tensor x = uniform({256, 1}, -1.0, 1.0, generator);
  Tensor y = x * 3.0 - 2.0;  // learn y = 3x - 2
  data::DataLoader loader(data::Dataset(x, y), /*batch_size=*/32, /*shuffle=*/true, /*seed=*/0);

  manual_seed(0);
  nn::Linear model(1, 1);
  optim::SGD optimizer(model.parameters(), /*lr=*/0.1, /*momentum=*/0.9);
  optim::StepLR scheduler(optimizer, /*step_size=*/10, /*gamma=*/0.5);
  for (int epoch = 0; epoch < 30; ++epoch) {
    for (const data::Batch& batch : loader) {  // a new shuffle every epoch
      optimizer.zero_grad();
      Tensor loss = mse_loss(model(batch.x), batch.y);
      loss.backward();
      optimizer.step();
    }
    scheduler.step();  // once per epoch
  }
  CHECK(model.weight.item() == Approx(3.0).margin(1e-4));
  CHECK(model.bias.item() == Approx(-2.0).margin(1e-4));
  CHECK(optimizer.lr() == Approx(0.0125));  // 0.1 halved after epochs 10, 20 and 30
  // [end]
  CHECK(loader.size() == 8);
}

TEST_CASE("a training step captured once and replayed", "[docs][training]") {
  // [snippet: replay]
  Generator generator(0);
  Tensor points = uniform({256, 2}, -1.0, 1.0, generator);
  Tensor labels = gt(select(points, 1, 0) * select(points, 1, 1), 0.0).to(int64);  // same sign
  data::DataLoader loader(data::Dataset(points, labels), /*batch_size=*/32, /*shuffle=*/true,
                          /*seed=*/0);

  manual_seed(0);
  nn::Sequential model;
  model.push_back(std::make_shared<nn::Linear>(2, 16));
  model.push_back(std::make_shared<nn::ReLU>());
  model.push_back(std::make_shared<nn::Linear>(16, 2));
  optim::SGD optimizer(model.parameters(), /*lr=*/0.2, /*momentum=*/0.9);

  // The step's inputs, made before the capture; each batch is copied into them.
  Tensor x = zeros({32, 2}), y = zeros({32}, int64);
  auto feed = [&](const data::Batch& batch) {
    no_grad guard;
    x.copy_(batch.x);
    y.copy_(batch.y);
  };
  Tensor loss;
  auto batch = loader.begin();
  feed(*batch);
  CapturedGraph step = CapturedGraph::capture([&] {  // runs the first step and records it
    optimizer.zero_grad();
    loss = cross_entropy(model(x), y);
    loss.backward();
    optimizer.step();
  });
  for (++batch; batch != loader.end(); ++batch) {
    feed(*batch);
    step.replay();  // the same kernels on the new batch: no graph, no allocation
  }
  for (int epoch = 1; epoch < 100; ++epoch) {
    for (const data::Batch& b : loader) {
      feed(b);
      step.replay();
    }
  }
  CHECK(loss.item() < 0.1);  // the last batch's loss, written by the last replay
  // [end]
  // a value made by an op replay cannot repeat (softmax records no kernel) is refused
  Tensor probabilities;
  CHECK_THROWS_WITH(CapturedGraph::capture([&] { probabilities = softmax(model(x)); }),
                    Contains("capture:"));
}

TEST_CASE("nn::fit trains with validation, a metric and early stopping", "[docs][training]") {
  const data::TrainTestSplit split = moons_split();
  data::Dataset train(split.x_train, split.y_train);
  data::Dataset validation(split.x_test, split.y_test);
  // [snippet: fit]
  manual_seed(0);
  nn::Sequential model{std::make_shared<nn::Linear>(2, 32), std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Linear>(32, 2)};
  optim::Adam optimizer(model.parameters(), /*lr=*/0.01);
  nn::CrossEntropyLoss loss;

  nn::FitOptions options;
  options.epochs = 200;
  options.batch_size = 32;
  options.metric = metrics::accuracy;  // argmax of the (N, 2) scores against the labels
  options.metric_name = "accuracy";
  options.early_stopping = true;              // stop after 20 epochs without a better val_loss,
  options.patience = 20;                      // then restore the best epoch's weights
  options.verbosity = nn::Verbosity::silent;  // the default draws a progress bar or prints lines

  nn::History history = nn::fit(model, optimizer, std::ref(loss), train, &validation, options);
  CHECK(history.stopped_early);
  CHECK(history.epochs.size() == history.best_epoch + 20);
  const nn::EpochLog& best = history.epochs[history.best_epoch - 1];
  CHECK(best.val_metric >= 0.95);  // validation accuracy of the weights the model now holds
  // [end]
  nn::Trainer trainer(model, optimizer, std::ref(loss), options);
  CHECK(trainer.evaluate(validation).first == Approx(best.val_loss));
}

TEST_CASE("callbacks run after every epoch and may stop training", "[docs][training]") {
  const data::TrainTestSplit split = moons_split();
  data::Dataset train(split.x_train, split.y_train);
  data::Dataset validation(split.x_test, split.y_test);
  manual_seed(0);
  nn::Sequential model{std::make_shared<nn::Linear>(2, 32), std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Linear>(32, 2)};
  optim::Adam optimizer(model.parameters(), 0.01);
  nn::CrossEntropyLoss loss;
  // [snippet: callbacks]
  optim::ReduceLROnPlateau plateau(optimizer, optim::ReduceLROnPlateau::Mode::min,
                                   /*factor=*/0.5, /*patience=*/5);
  nn::FitOptions options;
  options.epochs = 100;
  options.metric = metrics::accuracy;
  options.verbosity = nn::Verbosity::silent;
  options.callbacks.push_back(
      [&](nn::Trainer&, const nn::EpochLog& log) { plateau.step(log.val_loss); });
  options.callbacks.push_back([](nn::Trainer& trainer, const nn::EpochLog& log) {
    if (log.val_metric >= 0.97) trainer.request_stop();  // good enough
  });
  nn::Trainer trainer(model, optimizer, std::ref(loss), options);
  nn::History history = trainer.fit(train, &validation);
  CHECK(history.epochs.size() < 100);
  CHECK(history.epochs.back().val_metric >= 0.97);
  CHECK(plateau.last_epoch() == static_cast<long>(history.epochs.size()));  // one step an epoch
  // [end]
  CHECK_FALSE(history.stopped_early);
}

TEST_CASE("the history of a fit is written as CSV", "[docs][training]") {
  const data::TrainTestSplit split = moons_split();
  manual_seed(0);
  nn::Linear model(2, 2);
  optim::SGD optimizer(model.parameters(), 0.1);
  nn::CrossEntropyLoss loss;
  nn::FitOptions options;
  options.epochs = 3;
  options.metric = metrics::accuracy;
  options.metric_name = "accuracy";
  options.verbosity = nn::Verbosity::silent;
  data::Dataset train(split.x_train, split.y_train);
  data::Dataset validation(split.x_test, split.y_test);
  nn::History history = nn::fit(model, optimizer, std::ref(loss), train, &validation, options);
  // [snippet: csv]
  history.to_csv("training-history.csv");  // one row per epoch
  std::ifstream csv("training-history.csv");
  std::string header;
  std::getline(csv, header);
  CHECK(header == "epoch,train_loss,val_loss,train_accuracy,val_accuracy,lr,steps,seconds");
  // [end]
  std::string first;
  std::getline(csv, first);
  CHECK(first.rfind("1,", 0) == 0);
  csv.close();
  std::remove("training-history.csv");
}

TEST_CASE("the models fit, predict and score in one call each", "[docs][training][models]") {
  // [snippet: linear-regression]
  Generator generator(0);
  data::RegressionSamples data =
      data::make_regression(200, 3, std::nullopt, /*bias=*/0.5, /*noise=*/0.0, generator);
  models::LinearRegression regression;
  models::TrainOptions options;  // full-batch gradient descent, learning rate 0.1, SGD
  options.epochs = 500;
  regression.fit(data.x, data.y, options);
  CHECK(regression.predict(data.x).shape() == Shape{200});
  CHECK(regression.score(data.x, data.y) > 0.9999);  // R^2 of predict(x) against y
  CHECK(xt::allclose(regression.coef().data<float>(), data.coef.data<float>(), 1e-4));
  CHECK(regression.intercept().item() == Approx(0.5).margin(1e-4));
  // [end]
}

TEST_CASE("LogisticRegression separates two clusters", "[docs][training][models]") {
  // [snippet: logistic-regression]
  Generator generator(0);
  // 200 points of 2 classes in 2-D. To pass a generator, spell out every argument before it.
  data::Samples points = data::make_classification(200, 2, 2, 2, 1, /*class_sep=*/2.0, generator);
  models::LogisticRegression::Options settings;
  settings.normalization = models::Normalization::standard;
  models::LogisticRegression classifier(settings);
  models::TrainOptions options;
  options.epochs = 300;
  options.learning_rate = 0.5;
  classifier.fit(points.x, points.y, options);
  Tensor labels = classifier.predict(points.x);  // 0 or 1: P(class 1) > 0.5
  CHECK(metrics::accuracy(labels, points.y) >= 0.95);
  CHECK(classifier.score(points.x, points.y) >= 0.95);              // the same accuracy
  CHECK(classifier.predict_proba(points.x).shape() == Shape{200});  // P(class 1)
  // [end]
}

TEST_CASE("an MLP learns the moons", "[docs][training][models]") {
  const data::TrainTestSplit split = moons_split();
  // [snippet: mlp]
  models::MLP::Options architecture;
  architecture.hidden = {16, 16};  // ReLU, inputs standardized, a classifier by default
  models::MLP mlp(architecture);

  models::TrainOptions options;
  options.optimizer = models::Solver::adam;
  options.learning_rate = 0.01;
  options.batch_size = 32;
  options.epochs = 200;
  options.validation_fraction = 0.2;  // held out from the training rows, stratified
  options.early_stopping = true;
  options.patience = 20;
  mlp.fit(split.x_train, split.y_train, options);
  CHECK(mlp.history().stopped_early);
  CHECK(mlp.score(split.x_test, split.y_test) >= 0.95);             // accuracy
  CHECK(mlp.predict_proba(split.x_test).shape() == Shape{100, 2});  // class probabilities
  // [end]
}

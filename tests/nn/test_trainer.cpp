// Tests of the training loop: learning real tasks, early stopping on a constructed curve,
// best-weight restore, divergence, gradient accumulation, history export, progress output and bad
// options.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "gradient_checks.hpp"
#include "nn/nn.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::error_message;

namespace {

double accuracy_of_logits(const Tensor& logits, const Tensor& labels) {
  const auto& z = logits.data<float>();
  const auto& y = labels.data<float>();
  std::size_t correct = 0;
  const std::size_t rows = z.shape()[0], cols = z.shape()[1];
  for (std::size_t i = 0; i < rows; ++i) {
    std::size_t best = 0;
    for (std::size_t c = 1; c < cols; ++c) {
      if (z(i, c) > z(i, best)) best = c;
    }
    if (cols == 1) best = z(i, 0) > 0 ? 1 : 0;
    correct += static_cast<float>(best) == y(i) ? 1 : 0;
  }
  return static_cast<double>(correct) / static_cast<double>(rows);
}

// Three interleaved spirals, 100 points per class (the CS231n data set).
data::Dataset spirals(std::size_t per_class, Generator& generator) {
  const std::size_t n = 3 * per_class;
  auto x = xt::xarray<float>::from_shape({n, 2});
  auto y = xt::xarray<float>::from_shape({n});
  for (std::size_t c = 0; c < 3; ++c) {
    for (std::size_t i = 0; i < per_class; ++i) {
      const double r = static_cast<double>(i) / static_cast<double>(per_class - 1);
      const double t = 4.0 * c + 4.0 * r + 0.2 * generator.normal();
      x(c * per_class + i, 0) = static_cast<float>(r * std::sin(t));
      x(c * per_class + i, 1) = static_cast<float>(r * std::cos(t));
      y(c * per_class + i) = static_cast<float>(c);
    }
  }
  return data::Dataset(Tensor(x), Tensor(y));
}

// A module with one scalar parameter p, so tests can script what training sees.
class Scalar : public nn::Module {
 public:
  Scalar() { p = register_parameter("p", zeros({1}, float64)); }
  Tensor forward(const Tensor& x) override { return x * p; }
  Tensor p;
};

}  // namespace

TEST_CASE("an MLP learns XOR to 100% accuracy", "[nn][trainer]") {
  Generator generator(1);
  Tensor x(xt::xarray<float>{{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  Tensor y = reshape(Tensor(xt::xarray<float>{0, 1, 1, 0}), {4, 1});
  nn::Sequential model{
      std::make_shared<nn::Linear>(2, 8, true, nn::Init::xavier_uniform, generator),
      std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(8, 1, true, nn::Init::xavier_uniform, generator)};
  optim::Adam optimizer(model.parameters(), 0.05);
  nn::FitOptions options;
  options.epochs = 300;
  options.batch_size = 4;
  options.verbosity = nn::Verbosity::silent;
  nn::fit(
      model, optimizer,
      [](const Tensor& z, const Tensor& t) { return binary_cross_entropy_with_logits(z, t); },
      data::Dataset(x, y), nullptr, options);
  Tensor logits = model(x);
  CHECK(accuracy_of_logits(logits, reshape(y, {-1})) == 1.0);
}

TEST_CASE("an MLP learns 3-class spirals to at least 97% training accuracy", "[nn][trainer]") {
  Generator generator(2);
  data::Dataset train = spirals(100, generator);
  nn::Sequential model{
      std::make_shared<nn::Linear>(2, 64, true, nn::Init::kaiming_uniform, generator),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(64, 64, true, nn::Init::kaiming_uniform, generator),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(64, 3, true, nn::Init::kaiming_uniform, generator)};
  optim::Adam optimizer(model.parameters(), 0.01);
  nn::FitOptions options;
  options.epochs = 200;
  options.batch_size = 32;
  options.seed = 3;
  options.metric = accuracy_of_logits;
  options.metric_name = "accuracy";
  options.verbosity = nn::Verbosity::silent;
  nn::History history = nn::fit(
      model, optimizer, [](const Tensor& z, const Tensor& t) { return cross_entropy(z, t); }, train,
      nullptr, options);
  const double accuracy = accuracy_of_logits(model(train.x()), train.y());
  INFO("final training accuracy " << accuracy);
  CHECK(accuracy >= 0.97);
  CHECK(history.epochs.back().train_metric >= 0.95);
}

TEST_CASE("early stopping stops at the right epoch and restores the best weights",
          "[nn][trainer]") {
  // Training fits p towards 1, so p differs after every epoch. Validation losses follow a scripted
  // curve with its minimum at epoch 4; with patience 2, epochs 5 and 6 fail to improve on it and
  // training stops after epoch 6, restoring the weights of epoch 4.
  const std::vector<double> curve{5.0, 4.0, 3.0, 2.5, 2.6, 2.55, 1.0, 0.5};
  std::size_t validation_calls = 0;
  auto loss = [&](const Tensor& prediction, const Tensor& target) -> Tensor {
    if (GradMode::is_enabled()) return mse_loss(prediction, target);
    return scalar_tensor(curve[validation_calls++], float64);  // one batch per validation pass
  };
  Scalar model;
  optim::SGD optimizer(model.parameters(), 0.1);
  std::vector<double> p_after_epoch;
  nn::FitOptions options;
  options.epochs = 8;
  options.batch_size = 4;
  options.early_stopping = true;
  options.patience = 2;
  options.verbosity = nn::Verbosity::silent;
  options.callbacks.push_back(
      [&](nn::Trainer&, const nn::EpochLog&) { p_after_epoch.push_back(model.p.item()); });
  data::Dataset train(ones({4, 1}, float64), ones({4, 1}, float64));
  nn::History history = nn::fit(model, optimizer, loss, train, &train, options);
  REQUIRE(history.epochs.size() == 6);
  CHECK(history.stopped_early);
  CHECK(history.best_epoch == 4);
  CHECK(history.weights_after_epoch == 4);
  CHECK(history.epochs[3].val_loss == 2.5);
  CHECK(model.p.item() == p_after_epoch[3]);
  CHECK(p_after_epoch[5] != p_after_epoch[3]);
}

TEST_CASE("a non-finite loss stops training with the best weights kept", "[nn][trainer]") {
  std::size_t calls = 0;
  auto loss = [&](const Tensor& prediction, const Tensor& target) -> Tensor {
    Tensor l = mse_loss(prediction, target);
    return ++calls == 3 ? l * std::numeric_limits<double>::quiet_NaN() : l;
  };
  Scalar model;
  optim::SGD optimizer(model.parameters(), 0.1);
  nn::FitOptions options;
  options.epochs = 5;
  options.batch_size = 4;
  options.monitor = "train_loss";
  options.verbosity = nn::Verbosity::silent;
  std::vector<double> p_after_epoch;
  options.callbacks.push_back(
      [&](nn::Trainer&, const nn::EpochLog&) { p_after_epoch.push_back(model.p.item()); });
  data::Dataset train(ones({4, 1}, float64), ones({4, 1}, float64));
  try {
    nn::fit(model, optimizer, loss, train, nullptr, options);
    FAIL("fit did not throw");
  } catch (const nn::TrainingDiverged& e) {
    CHECK_THAT(e.what(), Contains("the loss became nan at epoch 3, batch 1"));
    // Epoch 2's training loss was the lowest; it was measured on the weights epoch 2 started
    // from, which are the weights after epoch 1.
    CHECK_THAT(e.what(), Contains("holds the weights of the start of epoch 2"));
    CHECK(e.history().epochs.size() == 2);
  }
  REQUIRE(p_after_epoch.size() == 2);
  CHECK(model.p.item() == p_after_epoch[0]);
}

TEST_CASE("gradient accumulation over two half batches equals one full batch", "[nn][trainer]") {
  Generator generator(4);
  Tensor x = randn({8, 3}, generator, float64);
  Tensor y = randn({8, 1}, generator, float64);
  auto run = [&](std::size_t batch, std::size_t accumulate) {
    Generator init(5);
    nn::Linear model(3, 1, true, nn::Init::kaiming_uniform, init, float64);
    optim::SGD optimizer(model.parameters(), 0.1);
    nn::FitOptions options;
    options.epochs = 3;
    options.batch_size = batch;
    options.shuffle = false;
    options.accumulate_steps = accumulate;
    options.verbosity = nn::Verbosity::silent;
    nn::History h = nn::fit(
        model, optimizer, [](const Tensor& p, const Tensor& t) { return mse_loss(p, t); },
        data::Dataset(x, y), nullptr, options);
    CHECK(h.epochs.back().steps == 3);
    return model.weight.detach().clone();
  };
  const Tensor full = run(8, 1);
  const Tensor halves = run(4, 2);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(halves.data<double>()(0, i) == Approx(full.data<double>()(0, i)).epsilon(1e-12));
  }
}

TEST_CASE("the history exports to CSV and progress prints one line per epoch", "[nn][trainer]") {
  Scalar model;
  optim::SGD optimizer(model.parameters(), 0.1);
  std::ostringstream progress;
  nn::FitOptions options;
  options.epochs = 3;
  options.batch_size = 2;
  options.verbosity = nn::Verbosity::lines;
  options.out = &progress;
  data::Dataset train(ones({4, 1}, float64), ones({4, 1}, float64));
  nn::History history = nn::fit(
      model, optimizer, [](const Tensor& p, const Tensor& t) { return mse_loss(p, t); }, train,
      &train, options);
  // Two batches an epoch; p goes 0 -> 0.2 -> 0.36, so epoch 1's loss is the mean of (0 - 1)^2 and
  // (0.2 - 1)^2, and its validation loss is (0.36 - 1)^2.
  CHECK_THAT(progress.str(), Contains("epoch 1/3: loss 0.82 val_loss 0.4096"));
  CHECK_THAT(progress.str(), Contains("epoch 3/3: loss"));
  CHECK(history.epochs[0].train_loss == Approx(0.82));
  CHECK(history.epochs[0].val_loss == Approx(0.4096));
  CHECK(history.epochs[2].val_loss < history.epochs[0].val_loss);
  const std::string path = "trainer_history_test.csv";
  history.to_csv(path);
  std::ifstream in(path);
  std::string header, first;
  std::getline(in, header);
  std::getline(in, first);
  CHECK(header == "epoch,train_loss,val_loss,train_metric,val_metric,lr,steps,seconds");
  CHECK_THAT(first, Contains("1,0.82,0.4096,nan,nan,0.1,2,"));
  std::remove(path.c_str());
}

TEST_CASE("the best model is checkpointed and reloads", "[nn][trainer]") {
  Scalar model;
  optim::SGD optimizer(model.parameters(), 0.1);
  nn::FitOptions options;
  options.epochs = 4;
  options.batch_size = 4;
  options.checkpoint_path = "trainer_checkpoint_test.npz";
  options.verbosity = nn::Verbosity::silent;
  data::Dataset train(ones({4, 1}, float64), ones({4, 1}, float64));
  nn::fit(
      model, optimizer, [](const Tensor& p, const Tensor& t) { return mse_loss(p, t); }, train,
      &train, options);
  Scalar reloaded;
  nn::load(reloaded, options.checkpoint_path);
  CHECK(reloaded.p.item() == model.p.item());
  std::remove(options.checkpoint_path.c_str());
}

TEST_CASE("bad training options are refused with a clear message", "[nn][trainer]") {
  Scalar model;
  optim::SGD optimizer(model.parameters(), 0.1);
  auto loss = [](const Tensor& p, const Tensor& t) { return mse_loss(p, t); };
  auto refuse = [&](nn::FitOptions o) {
    return error_message([&] { nn::Trainer(model, optimizer, loss, o); });
  };
  nn::FitOptions o;
  o.epochs = 0;
  CHECK_THAT(refuse(o), Contains("fit: epochs must be at least 1"));
  o = {};
  o.batch_size = 0;
  CHECK_THAT(refuse(o), Contains("fit: batch_size must be at least 1"));
  o = {};
  o.monitor = "accuracy";
  CHECK_THAT(refuse(o), Contains("unknown monitor 'accuracy'"));
  o = {};
  o.monitor = "val_metric";
  CHECK_THAT(refuse(o), Contains("needs a metric function"));
  o = {};
  o.early_stopping = true;
  data::Dataset train(ones({4, 1}, float64), ones({4, 1}, float64));
  CHECK_THAT(error_message([&] { nn::fit(model, optimizer, loss, train, nullptr, o); }),
             Contains("early stopping monitors val_loss but no validation data"));
  CHECK_THAT(error_message([&] {
               nn::fit(model, optimizer, loss,
                       data::Dataset(ones({4, 2}, float64), ones({4, 1}, float64)), nullptr,
                       nn::FitOptions{});
             }),
             Contains("differ in shape"));
}

TEST_CASE("divergence without a monitored value keeps the last sound weights", "[nn][trainer]") {
  // lr 10 on (p - 1)^2 multiplies the error by -19 each step: the loss overflows in float64 after
  // a few hundred epochs, and the model must be left with weights whose loss was finite.
  Scalar model;
  optim::SGD optimizer(model.parameters(), 10.0);
  nn::FitOptions options;
  options.epochs = 1000;
  options.batch_size = 4;
  options.restore_best = false;
  options.verbosity = nn::Verbosity::silent;
  data::Dataset train(ones({4, 1}, float64), ones({4, 1}, float64));
  try {
    nn::fit(
        model, optimizer, [](const Tensor& p, const Tensor& t) { return mse_loss(p, t); }, train,
        nullptr, options);
    FAIL("fit did not throw");
  } catch (const nn::TrainingDiverged& e) {
    CHECK_THAT(e.what(), Contains("holds the weights of the start of epoch"));
    CHECK(e.history().epochs.size() > 100);
  }
  // The kept weights still give a finite loss, and training had gone far before diverging.
  const double p = model.p.item();
  CHECK(std::isfinite((p - 1) * (p - 1)));
  CHECK(std::abs(p) > 1e100);
}

TEST_CASE("early stopping on the training loss keeps the weights that loss was measured on",
          "[nn][trainer]") {
  // Epoch 1's loss, 1, is measured at p = 0; its one step (lr 1000) throws p to 2000, whose loss
  // in epoch 2 is far worse. The best epoch is 1, and its loss speaks for p = 0, not p = 2000.
  Scalar model;
  optim::SGD optimizer(model.parameters(), 1000.0);
  nn::FitOptions options;
  options.epochs = 10;
  options.batch_size = 4;
  options.early_stopping = true;
  options.monitor = "train_loss";
  options.verbosity = nn::Verbosity::silent;
  data::Dataset train(ones({4, 1}, float64), ones({4, 1}, float64));
  nn::History history = nn::fit(
      model, optimizer, [](const Tensor& p, const Tensor& t) { return mse_loss(p, t); }, train,
      nullptr, options);
  CHECK(history.stopped_early);
  CHECK(history.best_epoch == 1);
  CHECK(history.weights_after_epoch == 0);
  CHECK(history.epochs.size() == 2);
  CHECK(model.p.item() == 0.0);
}

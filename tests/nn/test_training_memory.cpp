// Tests that long training runs hold their memory flat: 10,000 optimizer steps of an MLP, by hand
// and through nn::Trainer, with the resident set size after step 1,000 and after step 10,000
// within 1% of each other. A graph, gradient or optimizer state kept alive per step shows here.
#include <catch2/catch.hpp>

#include <cstddef>
#include <memory>

#include "gradient_checks.hpp"
#include "nn/nn.hpp"
#include "resident_memory.hpp"

using namespace xgrad;
using xgrad::testing::resident_bytes;
using xgrad::testing::resident_size_is_meaningful;

namespace {

// A 2-16-16-3 classifier whose weights come from `generator`.
std::shared_ptr<nn::Sequential> mlp(Generator& generator) {
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(2, 16, true, nn::Init::kaiming_uniform, generator),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(16, 16, true, nn::Init::kaiming_uniform, generator),
      std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(16, 3, true, nn::Init::kaiming_uniform, generator)});
}

}  // namespace

TEST_CASE("10,000 training steps of an MLP with Adam keep memory flat", "[nn][memory]") {
  Generator generator(1);
  auto model = mlp(generator);
  optim::Adam optimizer(model->parameters(), 1e-3);
  nn::CrossEntropyLoss loss;
  const data::Samples data = data::make_spirals(64, 3, 0.2, generator);
  std::size_t after_1000 = 0;
  double first_loss = 0, last_loss = 0;
  for (int step = 1; step <= 10000; ++step) {
    optimizer.zero_grad();
    Tensor value = loss(model->forward(data.x), data.y);
    value.backward();
    optimizer.step();
    if (step == 1) first_loss = value.item();
    if (step == 1000) after_1000 = resident_bytes();
    last_loss = value.item();
  }
  const std::size_t after_10000 = resident_bytes();
  CHECK(last_loss < 0.5 * first_loss);  // it did train
  INFO("RSS after 1,000 steps: " << after_1000 << " bytes; after 10,000: " << after_10000);
  if (resident_size_is_meaningful) CHECK(after_10000 <= after_1000 + after_1000 / 100);
}

TEST_CASE("a 10,000-step nn::Trainer epoch keeps memory flat", "[nn][memory][trainer]") {
  Generator generator(2);
  auto model = mlp(generator);
  optim::SGD optimizer(model->parameters(), 0.05, 0.9);
  nn::CrossEntropyLoss cross_entropy;
  const data::Samples data = data::make_spirals(10000, 3, 0.2, generator);
  // One epoch of batch size 1 is 10,000 steps; the loss function sees each one.
  std::size_t calls = 0, after_1000 = 0, after_10000 = 0;
  const nn::LossFunction loss = [&](const Tensor& logits, const Tensor& target) {
    ++calls;
    if (calls == 1001) after_1000 = resident_bytes();  // steps 1 to 1,000 are done
    Tensor value = cross_entropy(logits, target);
    return value;
  };
  nn::FitOptions options;
  options.epochs = 1;
  options.batch_size = 1;
  options.clip_grad_norm = 5.0;
  options.verbosity = nn::Verbosity::silent;
  const nn::History history =
      nn::fit(*model, optimizer, loss, data::Dataset(data.x, data.y), nullptr, options);
  after_10000 = resident_bytes();
  REQUIRE(history.epochs.size() == 1);
  CHECK(history.epochs[0].steps == 10000);
  CHECK(calls == 10000);
  INFO("RSS after 1,000 steps: " << after_1000 << " bytes; after 10,000: " << after_10000);
  if (resident_size_is_meaningful) CHECK(after_10000 <= after_1000 + after_1000 / 100);
}

// The code of docs/saving-and-loading.md: checkpoints as .npz archives, loading them back, the
// errors for bad files and mismatched modules, and saving the ready-made models. Files are written
// to the working directory (tests/docs in the build folder under CTest) and removed at the end.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include <xtensor/xmath.hpp>

#include "models/models.hpp"
#include "nn/nn.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;

namespace {

std::shared_ptr<nn::Sequential> make_net(std::size_t hidden) {
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(3, hidden), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(hidden, 1)});
}

std::string read_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

}  // namespace

TEST_CASE("a module saves to .npz and loads back", "[docs][serialize]") {
  // [snippet: save-load]
  manual_seed(0);
  nn::Sequential model{std::make_shared<nn::Linear>(3, 4), std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Linear>(4, 1)};
  nn::save(model, "regressor.npz");  // parameters and buffers, by name

  manual_seed(1);
  nn::Sequential copy{std::make_shared<nn::Linear>(3, 4), std::make_shared<nn::ReLU>(),
                      std::make_shared<nn::Linear>(4, 1)};
  nn::load(copy, "regressor.npz");  // the same architecture, built first
  Tensor x = ones({2, 3});
  CHECK(xt::allclose(copy(x).data<float>(), model(x).data<float>()));

  nn::NamedTensors state = nn::load("regressor.npz");  // the tensors alone, in saved order
  CHECK(state.size() == 4);
  CHECK(state[0].first == "0.weight");
  CHECK(state[0].second.shape() == Shape{4, 3});
  // [end]
  std::remove("regressor.npz");
}

TEST_CASE("a checkpoint is a zip of .npy entries that numpy reads", "[docs][serialize]") {
  manual_seed(0);
  auto net = make_net(4);
  nn::save(*net, "numpy-readable.npz");
  // What the page's numpy snippet relies on: a zip archive ("PK") holding one "<name>.npy" per
  // tensor in NPY format, little-endian float32, and the checksum entry.
  const std::string bytes = read_bytes("numpy-readable.npz");
  CHECK(bytes.rfind("PK\x03\x04", 0) == 0);
  // The entries, in the order the page's state.files lists them.
  const std::size_t w0 = bytes.find("0.weight.npy"), b0 = bytes.find("0.bias.npy"),
                    w2 = bytes.find("2.weight.npy"), b2 = bytes.find("2.bias.npy"),
                    meta = bytes.find("__xgrad__.json");
  CHECK((w0 < b0 && b0 < w2 && w2 < b2 && b2 < meta && meta != std::string::npos));
  CHECK_THAT(bytes, Contains("'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }"));
  std::remove("numpy-readable.npz");
}

TEST_CASE("a module of another shape or dtype is refused and left unchanged", "[docs][serialize]") {
  manual_seed(0);
  nn::save(*make_net(4), "four-hidden.npz");
  // [snippet: mismatch]
  auto wider = make_net(5);  // Linear(3, 5), ReLU, Linear(5, 1)
  Tensor before = wider->parameters()[0].detach().clone();
  CHECK_THROWS_WITH(nn::load(*wider, "four-hidden.npz"),
                    "load: 'four-hidden.npz': Sequential: load_state_dict: "
                    "'0.weight' is float32 (4, 3), module expects float32 (5, 3); "
                    "'0.bias' is float32 (4,), module expects float32 (5,); "
                    "'2.weight' is float32 (1, 4), module expects float32 (1, 5)");
  CHECK(xt::allclose(wider->parameters()[0].data<float>(), before.data<float>()));  // unchanged

  auto model64 = make_net(4);
  model64->to(float64);  // no silent conversion on load either: load, then convert
  CHECK_THROWS_WITH(nn::load(*model64, "four-hidden.npz"),
                    Contains("'0.weight' is float32 (4, 3), module expects float64 (4, 3)"));
  // [end]
  std::remove("four-hidden.npz");
}

TEST_CASE("bad files are reported with the path and the problem", "[docs][serialize]") {
  manual_seed(0);
  auto net = make_net(4);
  // [snippet: file-errors]
  CHECK_THROWS_WITH(nn::load(*net, "no-such-file.npz"),
                    "load: 'no-such-file.npz': cannot open: No such file or directory");

  nn::save(*net, "cut.npz");
  std::filesystem::resize_file("cut.npz", std::filesystem::file_size("cut.npz") - 30);
  CHECK_THROWS_WITH(nn::load(*net, "cut.npz"),
                    "load: 'cut.npz': not a zip archive (.npz), or truncated: "
                    "no end-of-archive record");

  CHECK_THROWS_WITH(nn::save(*net, "no-such-folder/model.npz"),
                    "save: 'no-such-folder/model.npz': directory 'no-such-folder' does not exist");
  // [end]
  std::remove("cut.npz");
}

TEST_CASE("a save replaces a checkpoint atomically", "[docs][serialize]") {
  manual_seed(0);
  auto first = make_net(4);
  auto second = make_net(4);
  // [snippet: atomic]
  nn::save(*first, "latest.npz");
  nn::save(*second, "latest.npz");  // written beside it, then renamed over it
  auto loaded = make_net(4);
  nn::load(*loaded, "latest.npz");
  CHECK(xt::allclose(loaded->parameters()[0].data<float>(), second->parameters()[0].data<float>()));
  // [end]
  for (const auto& entry : std::filesystem::directory_iterator(".")) {
    CHECK_THAT(entry.path().filename().string(), !Contains("latest.npz.tmp-"));
  }
  std::remove("latest.npz");
}

TEST_CASE("fit saves the best weights as it goes", "[docs][serialize]") {
  Generator generator(0);
  data::Samples moons = data::make_moons(200, 0.1, generator);
  data::TrainTestSplit split = data::train_test_split(moons.x, moons.y, 0.25);
  data::Dataset train(split.x_train, split.y_train);
  data::Dataset validation(split.x_test, split.y_test);
  manual_seed(0);
  nn::Sequential model{std::make_shared<nn::Linear>(2, 16), std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Linear>(16, 2)};
  optim::Adam optimizer(model.parameters(), 0.01);
  nn::CrossEntropyLoss loss;
  // [snippet: checkpoint]
  nn::FitOptions options;
  options.epochs = 20;
  options.checkpoint_path = "best-moons.npz";  // saved whenever val_loss improves
  options.verbosity = nn::Verbosity::silent;
  nn::History history = nn::fit(model, optimizer, std::ref(loss), train, &validation, options);

  nn::Sequential reloaded{std::make_shared<nn::Linear>(2, 16), std::make_shared<nn::ReLU>(),
                          std::make_shared<nn::Linear>(16, 2)};
  nn::load(reloaded, "best-moons.npz");  // the weights of epoch history.best_epoch
  CHECK(xt::allclose(reloaded(split.x_test).data<float>(), model(split.x_test).data<float>()));
  // [end]
  CHECK(history.best_epoch >= 1);
  std::remove("best-moons.npz");
}

TEST_CASE("the models save their weights and input statistics", "[docs][serialize][models]") {
  Generator generator(0);
  data::Samples moons = data::make_moons(200, 0.1, generator);
  // [snippet: models]
  models::MLP::Options architecture;
  architecture.hidden = {16};
  models::MLP mlp(architecture);
  models::TrainOptions options;
  options.epochs = 50;
  mlp.fit(moons.x, moons.y, options);
  mlp.save("moons-mlp.npz");  // the Linear layers and the fitted input scaler

  models::MLP restored(architecture);  // the same options, not fitted
  restored.load("moons-mlp.npz");
  CHECK(xt::allclose(restored.predict_proba(moons.x).data<float>(),
                     mlp.predict_proba(moons.x).data<float>()));
  // [end]
  CHECK(restored.is_fitted());
  CHECK(restored.n_features() == 2);
  std::remove("moons-mlp.npz");
}

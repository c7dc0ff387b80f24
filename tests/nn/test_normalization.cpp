// Tests of the normalization layers (BatchNorm1d/2d, LayerNorm, GroupNorm) and of the GELU, SiLU,
// ELU and Hardtanh modules: names, shapes and initialisation of parameters and buffers, printing,
// train/eval behaviour and running statistics against PyTorch over several steps, and state dicts
// exchanged with PyTorch in both directions (tests/data/norm_modules, written by
// scripts/make_torch_norm_modules.py; the reverse checked by scripts/check_norm_state_dict.py).
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "autograd/autograd.hpp"
#include "gradient_checks.hpp"
#include "nn/nn.hpp"
#include "temp_dir.hpp"

using namespace xgrad;
using xgrad::testing::TempDir;
using xgrad::testing::values;

namespace {

const std::string kDataDir = std::string(XGRAD_TEST_DATA_DIR) + "/norm_modules/";

// The names and shapes of a state dict, "name (shape)" in order.
std::vector<std::string> entries(const nn::NamedTensors& state) {
  std::vector<std::string> out;
  for (const auto& [name, t] : state) out.push_back(name + " " + format_shape(t.shape()));
  return out;
}

nn::NamedTensors read(const std::string& file) {
  return nn::load(kDataDir + file);
}

Tensor entry(const nn::NamedTensors& state, const std::string& name) {
  for (const auto& [key, t] : state) {
    if (key == name) return t;
  }
  FAIL("no entry " << name);
  return Tensor();
}

// Asserts equal shapes, dtypes and values to a relative and absolute tolerance.
void check_close(const Tensor& actual, const Tensor& expected, double tolerance,
                 const std::string& what) {
  INFO(what);
  REQUIRE(actual.dtype() == expected.dtype());
  REQUIRE(actual.shape() == expected.shape());
  // to_vector, not testing::values: num_batches_tracked is int64
  const std::vector<double> a = actual.to_vector<double>(), e = expected.to_vector<double>();
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("element " << i);
    CHECK(a[i] == Approx(e[i]).epsilon(tolerance).margin(tolerance));
  }
}

std::shared_ptr<nn::Module> make_layer(const std::string& name, Dtype dtype) {
  if (name == "batchnorm2d") {
    return std::make_shared<nn::BatchNorm2d>(4, 1e-5, 0.1, true, true, dtype);
  }
  if (name == "layernorm")
    return std::make_shared<nn::LayerNorm>(Shape{3, 5}, 1e-5, true, true, dtype);
  return std::make_shared<nn::GroupNorm>(2, 4, 1e-5, true, dtype);
}

}  // namespace

TEST_CASE("normalization layers register PyTorch's parameters and buffers with its initial values",
          "[nn][normalization]") {
  nn::BatchNorm2d bn(3);
  CHECK(entries(bn.state_dict()) ==
        std::vector<std::string>{"weight (3,)", "bias (3,)", "running_mean (3,)",
                                 "running_var (3,)", "num_batches_tracked ()"});
  CHECK(values(bn.weight) == std::vector<double>{1, 1, 1});
  CHECK(values(bn.bias) == std::vector<double>{0, 0, 0});
  CHECK(values(bn.running_mean) == std::vector<double>{0, 0, 0});
  CHECK(values(bn.running_var) == std::vector<double>{1, 1, 1});
  CHECK(bn.num_batches_tracked.item() == 0);
  CHECK(bn.num_batches_tracked.dtype() == int64);  // as PyTorch's, whatever the layer's dtype
  CHECK(nn::BatchNorm1d(3, 1e-5, 0.1, true, true, float64).num_batches_tracked.dtype() == int64);
  CHECK(bn.parameters().size() == 2);
  CHECK(entries(nn::BatchNorm1d(2, 1e-5, 0.1, false, false).state_dict()).empty());
  CHECK(entries(nn::LayerNorm(Shape{2, 3}).state_dict()) ==
        std::vector<std::string>{"weight (2, 3)", "bias (2, 3)"});
  CHECK(entries(nn::LayerNorm(4, 1e-5, true, false).state_dict()) ==
        std::vector<std::string>{"weight (4,)"});
  CHECK(entries(nn::GroupNorm(2, 6).state_dict()) ==
        std::vector<std::string>{"weight (6,)", "bias (6,)"});
  CHECK(nn::BatchNorm2d(3, 1e-5, 0.1, true, true, float64).weight.dtype() == float64);
}

TEST_CASE("normalization and activation layers print as they are constructed",
          "[nn][normalization]") {
  CHECK(nn::BatchNorm1d(3).repr() ==
        "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true)");
  CHECK(nn::BatchNorm2d(8, 1e-3, std::nullopt, false, false).repr() ==
        "BatchNorm2d(8, eps=0.001, momentum=nullopt, affine=false, track_running_stats=false)");
  CHECK(nn::LayerNorm(Shape{3, 4}).repr() ==
        "LayerNorm((3, 4), eps=1e-05, elementwise_affine=true)");
  CHECK(nn::LayerNorm(4, 1e-5, true, false).repr() ==
        "LayerNorm((4,), eps=1e-05, elementwise_affine=true, bias=false)");
  CHECK(nn::GroupNorm(2, 6).repr() == "GroupNorm(2, 6, eps=1e-05, affine=true)");
  CHECK(nn::GELU().repr() == "GELU(approximate='none')");
  CHECK(nn::GELU("tanh").repr() == "GELU(approximate='tanh')");
  CHECK(nn::SiLU().repr() == "SiLU()");
  CHECK(nn::ELU(0.5).repr() == "ELU(alpha=0.5)");
  CHECK(nn::Hardtanh(-2, 3).repr() == "Hardtanh(min_val=-2, max_val=3)");
  CHECK(nn::Softmax(1).repr() == "Softmax(dim=1)");
  CHECK(nn::LogSoftmax().repr() == "LogSoftmax(dim=-1)");
}

TEST_CASE("activation modules compute their ops", "[nn][normalization]") {
  const Tensor x = testing::f64({-2, -0.5, 0.25, 3});
  CHECK(values(nn::GELU()(x)) == values(gelu(x)));
  CHECK(values(nn::GELU("tanh")(x)) == values(gelu(x, "tanh")));
  CHECK(values(nn::SiLU()(x)) == values(silu(x)));
  CHECK(values(nn::ELU(0.5)(x)) == values(elu(x, 0.5)));
  CHECK(values(nn::Hardtanh(-1, 1)(x)) == std::vector<double>{-1, -0.5, 0.25, 1});
}

TEST_CASE("BatchNorm1d matches PyTorch over several training steps and in eval mode",
          "[nn][normalization][torch]") {
  const nn::NamedTensors steps = read("batchnorm1d_steps.npz");
  for (const std::string tag : {"m", "cumulative"}) {
    INFO("momentum " << tag);
    nn::BatchNorm1d bn(3, 1e-5, tag == "m" ? std::optional<double>(0.3) : std::nullopt, true, true,
                       float64);
    for (int step = 0; step < 4; ++step) {
      const std::string k = std::to_string(step);
      check_close(bn(entry(steps, tag + "_x" + k)), entry(steps, tag + "_y" + k), 1e-12,
                  "output of step " + k);
      check_close(bn.running_mean, entry(steps, tag + "_running_mean" + k), 1e-12,
                  "running_mean after step " + k);
      check_close(bn.running_var, entry(steps, tag + "_running_var" + k), 1e-12,
                  "running_var after step " + k);
      check_close(bn.num_batches_tracked, entry(steps, tag + "_num_batches_tracked" + k), 0,
                  "num_batches_tracked (int64) after step " + k);
      CHECK(bn.num_batches_tracked.item<std::int64_t>() == step + 1);
    }
    bn.eval();
    const Tensor before = clone(bn.running_mean);
    check_close(bn(entry(steps, tag + "_x0")), entry(steps, tag + "_y_eval"), 1e-12, "eval");
    CHECK(values(bn.running_mean) == values(before));  // eval leaves the statistics alone
    CHECK(bn.num_batches_tracked.item() == 4);
  }
}

TEST_CASE(
    "PyTorch state dicts saved with NumPy load into the normalization layers and give "
    "torch's outputs",
    "[nn][normalization][torch]") {
  for (const std::string name : {"batchnorm2d", "layernorm", "groupnorm"}) {
    for (const Dtype dtype : {float32, float64}) {
      const std::string dt = dtype_name(dtype);
      INFO(name << " " << dt);
      const double tolerance = dtype == float64 ? 1e-12 : 1e-6;
      auto layer = make_layer(name, dtype);
      nn::load(*layer, kDataDir + name + "_" + dt + "_state.npz");
      const nn::NamedTensors io = read(name + "_" + dt + "_io.npz");
      no_grad guard;
      layer->eval();
      check_close((*layer)(entry(io, "x")), entry(io, "y_eval"), tolerance, "eval output");
      layer->train();
      check_close((*layer)(entry(io, "x")), entry(io, "y_train"), tolerance, "training output");
      if (name == "batchnorm2d") {
        const auto& bn = static_cast<nn::BatchNorm2d&>(*layer);
        check_close(bn.running_mean, entry(io, "running_mean"), tolerance, "running_mean");
        check_close(bn.running_var, entry(io, "running_var"), tolerance, "running_var");
        check_close(bn.num_batches_tracked, entry(io, "num_batches_tracked"), 0,
                    "num_batches_tracked (int64)");
        CHECK(bn.num_batches_tracked.item<std::int64_t>() == 4);
      }
    }
  }
}

TEST_CASE(
    "state dicts saved by xgrad's normalization layers load into PyTorch and give xgrad's "
    "outputs",
    "[nn][normalization][torch]") {
  if (std::system("/usr/bin/python3 -c 'import torch' > /dev/null 2>&1") != 0) {
    WARN("skipped: /usr/bin/python3 with torch (Debian's python3-torch) is not installed");
    return;
  }
  TempDir dir("norm_interop");
  for (const std::string name : {"batchnorm2d", "layernorm", "groupnorm"}) {
    for (const Dtype dtype : {float32, float64}) {
      const std::string dt = dtype_name(dtype);
      auto layer = make_layer(name, dtype);
      // non-trivial parameters and statistics, from xgrad's side this time
      Generator generator(7);
      {
        no_grad guard;
        for (auto& [key, t] : layer->state_dict()) {
          if (key == "num_batches_tracked") continue;
          const bool positive = key == "weight" || key == "running_var";
          t.set_data(
              uniform(t.shape(), positive ? 0.5 : -0.5, positive ? 1.5 : 0.5, generator, dtype));
        }
      }
      nn::save(*layer, dir.file(name + "_" + dt + "_state.npz"));
      const Tensor x = uniform(name == "layernorm" ? Shape{2, 4, 3, 5} : Shape{2, 4, 3, 3}, -2.0,
                               2.0, generator, dtype);
      no_grad guard;
      layer->eval();
      const Tensor y_eval = (*layer)(x);
      layer->train();
      const Tensor y_train = (*layer)(x);
      nn::save({{"x", x}, {"y_eval", y_eval}, {"y_train", y_train}},
               dir.file(name + "_" + dt + "_io.npz"));
    }
  }
  const std::string command = "/usr/bin/python3 " + std::string(XGRAD_DATA_DIR) +
                              "/../scripts/check_norm_state_dict.py " + dir.file("");
  INFO(command);
  CHECK(std::system(command.c_str()) == 0);
}

TEST_CASE(
    "BatchNorm without running statistics uses the batch's in eval mode too, and affine "
    "false leaves x_hat unscaled",
    "[nn][normalization]") {
  nn::BatchNorm1d plain(3, 1e-5, 0.1, false, false, float64);
  const Tensor x = testing::f64({{1, 2, 3}, {2, 0, -1}, {6, 1, 0}, {-1, 4, 2}});
  const Tensor expected = batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true);
  CHECK(values(plain(x)) == values(expected));
  plain.eval();
  CHECK(values(plain(x)) == values(expected));
  CHECK_THROWS_WITH(plain(ones({1, 3}, float64)),
                    Catch::Contains("expected more than 1 value per channel when training"));
  // converting the layer converts its floating-point buffers; the int64 counter stays int64
  nn::BatchNorm2d bn(2);
  bn.to(float64);
  CHECK(bn.running_var.dtype() == float64);
  CHECK(bn.num_batches_tracked.dtype() == int64);
  bn(ones({2, 2, 3, 3}, float64));
  CHECK(bn.num_batches_tracked.item<std::int64_t>() == 1);
}

TEST_CASE("BatchNorm's int64 num_batches_tracked round-trips through nn::save and nn::load",
          "[nn][normalization]") {
  TempDir dir("bn_counter");
  nn::BatchNorm1d bn(3, 1e-5, std::nullopt);
  Generator generator(3);
  for (int step = 0; step < 5; ++step) bn(uniform({4, 3}, -1.0, 1.0, generator));
  nn::save(bn, dir.file("bn.npz"));
  const nn::NamedTensors saved = nn::load(dir.file("bn.npz"));
  CHECK(entry(saved, "num_batches_tracked").dtype() == int64);
  nn::BatchNorm1d restored(3, 1e-5, std::nullopt);
  nn::load(restored, dir.file("bn.npz"));
  CHECK(restored.num_batches_tracked.dtype() == int64);
  CHECK(restored.num_batches_tracked.item<std::int64_t>() == 5);
  CHECK(values(restored.running_mean) == values(bn.running_mean));
  // the next step continues the cumulative average from 5 batches, as the original would
  const Tensor x = uniform({4, 3}, -1.0, 1.0, generator);
  bn(x);
  restored(x);
  CHECK(restored.num_batches_tracked.item<std::int64_t>() == 6);
  CHECK(values(restored.running_var) == values(bn.running_var));
  // a counter of another dtype (an old float checkpoint) is refused, naming both
  nn::NamedTensors old_style = bn.state_dict();
  for (auto& [key, t] : old_style) {
    if (key == "num_batches_tracked") t = scalar_tensor(6);
  }
  CHECK_THROWS_WITH(restored.load_state_dict(old_style),
                    Catch::Contains("'num_batches_tracked' is float32 ()") &&
                        Catch::Contains("module expects int64 ()"));
}

// The code of docs/modules.md: a user-defined nn::Module, Sequential, named parameters and
// buffers, train/eval, dtype conversion, printing and summary.
#include <catch2/catch.hpp>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <xtensor/xmath.hpp>

#include "nn/nn.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;

namespace {

// [snippet: module]
// A two-layer regressor with a trained output scale and a fixed input offset.
class Regressor : public nn::Module {
 public:
  Regressor(std::size_t in_features, std::size_t hidden) {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(in_features, hidden));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(hidden, 1));
    scale = register_parameter("scale", ones({1}));            // trained
    offset = register_buffer("offset", zeros({in_features}));  // saved and converted, not trained
  }

  Tensor forward(const Tensor& x) override {
    return fc2->forward(relu(fc1->forward(x - offset))) * scale;
  }

  std::shared_ptr<nn::Linear> fc1, fc2;
  Tensor scale, offset;
};
// [end]

std::vector<std::string> names(const nn::NamedTensors& tensors) {
  std::vector<std::string> out;
  for (const auto& entry : tensors) out.push_back(entry.first);
  return out;
}

}  // namespace

TEST_CASE("a module registers what it owns by name", "[docs][modules]") {
  // [snippet: parameters]
  manual_seed(0);  // Linear draws its initial weights from the default generator
  Regressor model(3, 8);
  Tensor y = model(ones({5, 3}));  // operator() calls forward
  CHECK(y.shape() == Shape{5, 1});

  std::vector<std::string> parameter_names;
  for (const auto& [name, tensor] : model.named_parameters()) parameter_names.push_back(name);
  CHECK(parameter_names ==
        std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});
  CHECK(model.named_buffers().front().first == "offset");
  CHECK(model.parameters().size() == 5);  // what an optimizer takes
  CHECK(model.parameter_count() == 1 + 8 * 3 + 8 + 1 * 8 + 1);
  CHECK(model.fc1->weight.shape() == Shape{8, 3});  // (out_features, in_features), as PyTorch
  // [end]
  CHECK(model.scale.requires_grad());
  CHECK_FALSE(model.offset.requires_grad());
}

TEST_CASE("backward reaches every registered parameter", "[docs][modules]") {
  manual_seed(0);
  Regressor model(3, 8);
  // [snippet: zero-grad]
  mean(model(ones({5, 3}))).backward();
  CHECK(model.fc1->weight.grad().defined());
  model.zero_grad();  // drops them, as PyTorch 2's default (set_to_none=True)
  CHECK_FALSE(model.fc1->weight.grad().defined());
  mean(model(ones({5, 3}))).backward();
  model.zero_grad(/*set_to_none=*/false);  // fills with zeros, keeping the buffers
  CHECK(xt::allclose(model.scale.grad().data<float>(), xt::xarray<float>{0}));
  // [end]
}

TEST_CASE("Sequential applies modules in order and names them by position", "[docs][modules]") {
  // [snippet: sequential]
  manual_seed(0);
  nn::Sequential net{std::make_shared<nn::Linear>(2, 16), std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Dropout>(0.2), std::make_shared<nn::Linear>(16, 3)};
  CHECK(net(ones({4, 2})).shape() == Shape{4, 3});
  CHECK(net.size() == 4);
  CHECK(net.named_parameters().front().first == "0.weight");  // "<position>.<name>"

  // As a member of another module, a Sequential is built through a shared_ptr:
  auto head = std::make_shared<nn::Sequential>();
  head->push_back(std::make_shared<nn::Linear>(3, 3)).push_back(std::make_shared<nn::Softmax>());
  // [end]
  CHECK(head->size() == 2);
  CHECK(names(net.named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias"});
}

TEST_CASE("eval mode switches off dropout in every submodule", "[docs][modules]") {
  manual_seed(0);
  nn::Sequential net{std::make_shared<nn::Linear>(2, 16), std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Dropout>(0.2), std::make_shared<nn::Linear>(16, 3)};
  // [snippet: modes]
  Tensor x = ones({4, 2});
  CHECK(net.is_training());  // modules start in training mode, as in PyTorch
  net.eval();                // for this module and every submodule
  CHECK_FALSE(net[2]->is_training());
  Tensor a = net(x);
  Tensor b = net(x);
  CHECK(xt::allclose(a.data<float>(), b.data<float>()));  // Dropout is the identity in eval
  net.train();
  // [end]
  CHECK(net[2]->is_training());
}

TEST_CASE("to(dtype) converts parameters and buffers in place", "[docs][modules]") {
  manual_seed(0);
  // [snippet: to]
  Regressor model(3, 8);
  Tensor weight = model.fc1->weight;  // another handle to the same parameter
  model.to(float64);
  CHECK(weight.dtype() == float64);        // every handle sees the new values
  CHECK(model.offset.dtype() == float64);  // buffers too
  CHECK(model(ones({2, 3}, float64)).dtype() == float64);
  CHECK_THROWS_WITH(model(ones({2, 3})), Contains("dtype mismatch: float32 and float64"));
  // [end]
}

TEST_CASE("modules print as they are built and summarize their parameters", "[docs][modules]") {
  manual_seed(0);
  Regressor model(3, 8);
  // [snippet: print]
  std::ostringstream out;
  out << model;  // or model.repr()
  CHECK(out.str() ==
        "Regressor(\n"
        "  (fc1): Linear(in_features=3, out_features=8, bias=true)\n"
        "  (fc2): Linear(in_features=8, out_features=1, bias=true)\n"
        ")");
  CHECK(model.summary() ==
        "Regressor summary\n"
        "parameter   shape           dtype         count\n"
        "scale       (1,)            float32           1\n"
        "fc1.weight  (8, 3)          float32          24\n"
        "fc1.bias    (8,)            float32           8\n"
        "fc2.weight  (1, 8)          float32           8\n"
        "fc2.bias    (1,)            float32           1\n"
        "total parameters: 42\n");
  // [end]
}

namespace {

// [snippet: extra-repr]
class Scale : public nn::Module {
 public:
  explicit Scale(double factor) : factor_(factor) {}
  Tensor forward(const Tensor& x) override { return x * factor_; }
  std::string extra_repr() const override { return "factor=" + format_number(factor_); }

 private:
  double factor_;
};
// [end]

}  // namespace

TEST_CASE("extra_repr adds a module's arguments to its printout", "[docs][modules]") {
  // [snippet: extra-repr-use]
  CHECK(Scale(0.5).repr() == "Scale(factor=0.5)");
  // [end]
}

TEST_CASE("modules name themselves in their errors", "[docs][modules]") {
  manual_seed(0);
  // [snippet: errors]
  nn::Linear layer(4, 3);
  CHECK_THROWS_WITH(layer(ones({2, 5})),
                    "Linear: input of shape (2, 5) has 5 features, layer expects 4");
  nn::Module bare;
  CHECK_THROWS_WITH(bare(ones({1})), "Module: this module has no forward(Tensor); override it");
  // [end]
}

TEST_CASE("convolution and pooling layers build a CNN", "[docs][modules]") {
  manual_seed(0);
  // [snippet: cnn]
  nn::Sequential cnn{
      std::make_shared<nn::Unflatten>(1, std::vector<std::size_t>{1, 8, 8}),  // (N, 1, 8, 8)
      std::make_shared<nn::Conv2d>(1, 16, 3, /*stride=*/1, /*padding=*/1),    // (N, 16, 8, 8)
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::MaxPool2d>(2),                  // (N, 16, 4, 4)
      std::make_shared<nn::Conv2d>(16, 32, 3, 1, "same"),  // (N, 32, 4, 4)
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::AdaptiveAvgPool2d>(1),  // (N, 32, 1, 1)
      std::make_shared<nn::Flatten>(),             // (N, 32)
      std::make_shared<nn::Linear>(32, 10)};
  CHECK(cnn(zeros({5, 64})).shape() == Shape{5, 10});
  // PyTorch's names and shapes: weight (out_channels, in_channels / groups, kH, kW), bias
  CHECK(cnn.named_parameters()[0].first == "1.weight");
  CHECK(cnn.named_parameters()[0].second.shape() == Shape{16, 1, 3, 3});
  CHECK(cnn[1]->repr() ==
        "Conv2d(in_channels=1, out_channels=16, kernel_size=(3, 3), stride=(1, 1), "
        "padding=(1, 1))");
  // [end]
}

TEST_CASE("the convolution and pooling ops take PyTorch's arguments", "[docs][modules]") {
  // [snippet: conv-ops]
  Tensor x = randn({2, 3, 9, 9});
  Tensor w = randn({6, 3, 3, 3}, default_generator(), float32);
  CHECK(conv2d(x, w, Tensor(), /*stride=*/2, /*padding=*/1).shape() == Shape{2, 6, 5, 5});
  CHECK(conv2d(x, w, Tensor(), {1, 2}, {0, 1}).shape() == Shape{2, 6, 7, 5});  // per axis
  CHECK(conv1d(randn({2, 3, 9}), randn({4, 3, 2}), Tensor(), 1, "same").shape() == Shape{2, 4, 9});
  auto [pooled, indices] = max_pool2d_with_indices(x, 3);  // int64 y * 9 + x in each plane
  CHECK(pooled.shape() == Shape{2, 3, 3, 3});
  CHECK(avg_pool2d(x, 2, 1).shape() == Shape{2, 3, 8, 8});
  // [end]
}

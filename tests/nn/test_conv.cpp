// Tests of the image layers: Conv1d and Conv2d (parameter names, shapes, PyTorch's initialisation
// bounds, printing, a PyTorch state_dict loaded with nn::load giving torch's outputs), MaxPool2d,
// AvgPool2d, AdaptiveAvgPool2d and Unflatten.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "gradient_checks.hpp"
#include "nn/nn.hpp"

using namespace xgrad;
using xgrad::testing::values;

namespace {

std::string data_file(const std::string& name) {
  return std::string(XGRAD_TEST_DATA_DIR "/") + name;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double e : v) m = std::max(m, std::abs(e));
  return m;
}

}  // namespace

TEST_CASE("Conv2d registers weight and bias with PyTorch's shapes and initialisation bounds",
          "[nn][conv]") {
  Generator generator(0);
  nn::Conv2d conv(4, 6, {3, 2}, 1, 0, 1, 2, true, generator, float64);
  const nn::NamedTensors params = conv.named_parameters();
  REQUIRE(params.size() == 2);
  CHECK(params[0].first == "weight");
  CHECK(params[0].second.shape() == Shape{6, 2, 3, 2});
  CHECK(params[1].first == "bias");
  CHECK(params[1].second.shape() == Shape{6});
  // fan_in = 4 / 2 * 3 * 2 = 12: U(-1/sqrt(12), 1/sqrt(12)) for both
  const double bound = 1.0 / std::sqrt(12.0);
  CHECK(max_abs(values(conv.weight)) <= bound);
  CHECK(max_abs(values(conv.weight)) > 0.8 * bound);  // 72 draws spread over the range
  CHECK(max_abs(values(conv.bias)) <= bound);
  nn::Conv2d no_bias(1, 2, 3, 1, 0, 1, 1, false);
  CHECK(no_bias.named_parameters().size() == 1);
  CHECK(!no_bias.bias.defined());
}

TEST_CASE("conv and pooling layers print like their construction", "[nn][conv]") {
  CHECK(nn::Conv2d(1, 16, 3, 1, 1).repr() ==
        "Conv2d(in_channels=1, out_channels=16, kernel_size=(3, 3), stride=(1, 1), "
        "padding=(1, 1))");
  CHECK(nn::Conv2d(4, 8, {3, 1}, 2, 0, 2, 4, false).repr() ==
        "Conv2d(in_channels=4, out_channels=8, kernel_size=(3, 1), stride=(2, 2), "
        "dilation=(2, 2), groups=4, bias=false)");
  CHECK(nn::Conv1d(2, 3, 5, 1, "same").repr() ==
        "Conv1d(in_channels=2, out_channels=3, kernel_size=5, stride=1, padding=\"same\")");
  CHECK(nn::MaxPool2d(2).repr() ==
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=false)");
  CHECK(nn::AvgPool2d({3, 2}, 1, 1).repr() == "AvgPool2d(kernel_size=(3, 2), stride=1, padding=1)");
  CHECK(nn::AdaptiveAvgPool2d(1).repr() == "AdaptiveAvgPool2d(output_size=(1, 1))");
  CHECK(nn::Unflatten(1, {1, 8, 8}).repr() == "Unflatten(dim=1, unflattened_size=(1, 8, 8))");
}

TEST_CASE("a PyTorch Conv2d state_dict loads with nn::load and gives torch's outputs",
          "[nn][conv][serialize]") {
  // tests/data/conv2d_*.npz: torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2) in float64,
  // saved with np.savez({k: v.numpy()}) by scripts/make_torch_reference_conv.py.
  nn::Conv2d conv(4, 6, 3, 2, 1, 1, 2, true, default_generator(), float64);
  nn::load(conv, data_file("conv2d_state_dict.npz"));
  const nn::NamedTensors io = nn::load(data_file("conv2d_input_output.npz"));
  REQUIRE(io.size() == 2);
  REQUIRE(io[0].first == "input");
  const Tensor y = conv(io[0].second);
  CHECK(y.shape() == io[1].second.shape());
  CHECK_THAT(values(y), Catch::Matchers::Approx(values(io[1].second)).epsilon(1e-12).margin(1e-12));
  // The same weights in float32: torch's float64 outputs to 1e-6.
  conv.to(float32);
  const Tensor y32 = conv(io[0].second.to(float32));
  CHECK(y32.dtype() == float32);
  CHECK_THAT(values(y32), Catch::Matchers::Approx(values(io[1].second)).margin(1e-6));
}

TEST_CASE("Conv1d and Conv2d compute their ops with their own parameters", "[nn][conv]") {
  Generator generator(1);
  nn::Conv1d conv1(3, 2, 3, 2, 1, 1, 1, true, generator, float64);
  const Tensor x1 = randn({2, 3, 9}, generator, float64);
  CHECK(values(conv1(x1)) == values(conv1d(x1, conv1.weight, conv1.bias, 2, 1)));
  nn::Conv2d conv2(3, 4, 3, 1, "same", 1, 1, true, generator, float64);
  const Tensor x2 = randn({2, 3, 5, 5}, generator, float64);
  CHECK(conv2(x2).shape() == Shape{2, 4, 5, 5});
  CHECK(values(conv2(x2)) == values(conv2d(x2, conv2.weight, conv2.bias, 1, "same")));
}

TEST_CASE("a small CNN trains: the loss falls and every parameter gets a gradient", "[nn][conv]") {
  Generator generator(2);
  nn::Sequential net{
      std::make_shared<nn::Unflatten>(1, std::vector<std::size_t>{1, 6, 6}),
      std::make_shared<nn::Conv2d>(1, 4, 3, 1, 1, 1, 1, true, generator),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::AvgPool2d>(3),
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(4, 2, true, nn::Init::pytorch_default, generator)};
  const Tensor x = randn({8, 36}, generator);
  const Tensor y(xt::xarray<float>{0, 1, 0, 1, 1, 0, 1, 0});
  optim::Adam adam(net.parameters(), 0.05);
  double first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    adam.zero_grad();
    Tensor loss = cross_entropy(net(x), y);
    loss.backward();
    (step == 0 ? first : last) = loss.item();
    adam.step();
  }
  CHECK(last < 0.5 * first);
  for (const Tensor& p : net.parameters()) CHECK(p.grad().defined());
}

TEST_CASE("pooling layers and Unflatten compute their ops", "[nn][conv]") {
  Generator generator(3);
  const Tensor x = randn({2, 3, 6, 5}, generator, float64);
  CHECK(values(nn::MaxPool2d(2)(x)) == values(max_pool2d(x, 2)));
  CHECK(values(nn::MaxPool2d(3, 2, 1)(x)) == values(max_pool2d(x, 3, 2, 1)));
  CHECK(values(nn::AvgPool2d(2, 1)(x)) == values(avg_pool2d(x, 2, 1)));
  CHECK(nn::AdaptiveAvgPool2d({2, 1})(x).shape() == Shape{2, 3, 2, 1});
  CHECK(nn::Unflatten(-1, {5, 1})(x).shape() == Shape{2, 3, 6, 5, 1});
  CHECK(nn::Unflatten(1, {3, 1})(x.reshape({2, 3, 30})).shape() == Shape{2, 3, 1, 30});
}

TEST_CASE("a CNN takes the same SGD steps fused into backward as after it", "[nn][conv]") {
  const auto train = [](bool fused) {
    Generator generator(4);
    nn::Sequential net{
        std::make_shared<nn::Conv2d>(2, 3, 3, 1, 1, 1, 1, true, generator, float64),
        std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
        std::make_shared<nn::Flatten>(),
        std::make_shared<nn::Linear>(12, 2, true, nn::Init::pytorch_default, generator, float64)};
    const Tensor x = randn({4, 2, 4, 4}, generator, float64);
    const Tensor y(xt::xarray<double>{0, 1, 1, 0});
    optim::SGD sgd(net.parameters(), 0.1);
    if (fused) sgd.fuse_into_backward();
    for (int step = 0; step < 3; ++step) {
      sgd.zero_grad();
      cross_entropy(net(x), y).backward();
      sgd.step();
    }
    std::vector<double> all;
    for (const Tensor& p : net.parameters()) {
      const std::vector<double> v = values(p);
      all.insert(all.end(), v.begin(), v.end());
    }
    return all;
  };
  CHECK_THAT(train(true), Catch::Matchers::Approx(train(false)).margin(1e-14));
}

// Tests of nn::TransformerEncoderLayer: PyTorch's submodule and parameter names, outputs and input
// gradients equal to torch's on the same weights (post- and pre-norm, relu and gelu, batch_first,
// bool masks; tests/data/transformer written by scripts/make_torch_transformer.py), gradcheck and
// gradgradcheck in float64, and bad arguments.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "gradient_checks.hpp"
#include "nn/serialize.hpp"
#include "nn/transformer.hpp"

using namespace xgrad;
using xgrad::testing::check_gradients_twice;
using xgrad::testing::input;

namespace {

const std::string kDataDir = std::string(XGRAD_TEST_DATA_DIR) + "/transformer/";

Tensor entry(const nn::NamedTensors& state, const std::string& name) {
  for (const auto& [key, t] : state) {
    if (key == name) return t;
  }
  return Tensor();
}

void check_close(const Tensor& actual, const Tensor& expected, const std::string& what) {
  INFO(what);
  REQUIRE(actual.shape() == expected.shape());
  const std::vector<double> a = testing::values(actual), e = testing::values(expected);
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("element " << i);
    CHECK(a[i] == Approx(e[i]).epsilon(1e-12).margin(1e-12));
  }
}

}  // namespace

TEST_CASE("TransformerEncoderLayer registers PyTorch's parameters and prints its options",
          "[nn][transformer]") {
  Generator g(1);
  nn::TransformerEncoderLayer layer(nn::TransformerEncoderLayerOptions(8, 2).dim_feedforward(16),
                                    g);
  std::vector<std::string> names;
  for (const auto& [name, t] : layer.state_dict()) {
    names.push_back(name + " " + format_shape(t.shape()));
  }
  CHECK(names ==
        std::vector<std::string>{"self_attn.in_proj_weight (24, 8)", "self_attn.in_proj_bias (24,)",
                                 "self_attn.out_proj.weight (8, 8)", "self_attn.out_proj.bias (8,)",
                                 "linear1.weight (16, 8)", "linear1.bias (16,)",
                                 "linear2.weight (8, 16)", "linear2.bias (8,)", "norm1.weight (8,)",
                                 "norm1.bias (8,)", "norm2.weight (8,)", "norm2.bias (8,)"});
  CHECK(layer.extra_repr() ==
        "d_model=8, nhead=2, dim_feedforward=16, dropout=0.1, activation=relu");
  CHECK(layer.forward(zeros({5, 3, 8})).shape() == Shape{5, 3, 8});
  CHECK(layer.forward(zeros({5, 8})).shape() == Shape{5, 8});  // unbatched
}

TEST_CASE("TransformerEncoderLayer matches PyTorch's outputs and input gradients",
          "[nn][transformer][torch]") {
  struct Case {
    std::string name;
    bool norm_first;
    std::string activation;
    bool batch_first;
  };
  const std::vector<Case> cases = {{"post_relu", false, "relu", false},
                                   {"pre_gelu_batch_first", true, "gelu", true},
                                   {"post_gelu_masked", false, "gelu", true},
                                   {"pre_relu_masked", true, "relu", false}};
  for (const Case& c : cases) {
    INFO(c.name);
    Generator g(2);
    nn::TransformerEncoderLayer layer(nn::TransformerEncoderLayerOptions(8, 2)
                                          .dim_feedforward(16)
                                          .dropout(0.0)
                                          .activation(c.activation)
                                          .batch_first(c.batch_first)
                                          .norm_first(c.norm_first),
                                      g, float64);
    nn::load(layer, kDataDir + c.name + "_state.npz");
    const nn::NamedTensors io = nn::load(kDataDir + c.name + "_io.npz");
    const Tensor x = entry(io, "x").detach().clone().requires_grad_();
    const Tensor padding = entry(io, "key_padding_mask"), mask = entry(io, "src_mask");
    if (padding.defined()) CHECK(padding.dtype() == boolean);
    const Tensor y = layer.forward(x, mask, padding);
    check_close(y, entry(io, "y"), "output");
    // d sum(y * g) / dx with the script's g = sin(1.3 i + 0.2)
    std::vector<double> gv(y.numel());
    for (std::size_t i = 0; i < gv.size(); ++i)
      gv[i] = std::sin(1.3 * static_cast<double>(i) + 0.2);
    sum(y * from_vector(gv, y.shape(), float64)).backward();
    check_close(x.grad(), entry(io, "dx"), "input gradient");
  }
}

TEST_CASE("TransformerEncoderLayer passes gradcheck and gradgradcheck in float64",
          "[nn][transformer][gradcheck]") {
  for (const bool norm_first : {false, true}) {
    INFO("norm_first " << norm_first);
    Generator g(3);
    nn::TransformerEncoderLayer layer(nn::TransformerEncoderLayerOptions(4, 2)
                                          .dim_feedforward(6)
                                          .dropout(0.0)
                                          .activation(norm_first ? "gelu" : "relu")
                                          .batch_first(true)
                                          .norm_first(norm_first),
                                      g, float64);
    const Tensor padding =
        from_vector(std::vector<bool>{false, false, true, false, false, false}, {2, 3});
    std::vector<Tensor> inputs = {input({2, 3, 4}, 5)};
    for (const Tensor& p : layer.parameters()) inputs.push_back(p);
    check_gradients_twice(
        [&](const std::vector<Tensor>& v) {
          return reshape(layer.forward(v[0], Tensor(), padding), {-1});
        },
        inputs);
  }
}

TEST_CASE("TransformerEncoderLayer refuses bad options", "[nn][transformer][errors]") {
  CHECK_THROWS_WITH(
      nn::TransformerEncoderLayer(nn::TransformerEncoderLayerOptions(8, 2).activation("tanh")),
      "TransformerEncoderLayer: activation must be \"relu\" or \"gelu\", got \"tanh\"");
  CHECK_THROWS_WITH(
      nn::TransformerEncoderLayer(nn::TransformerEncoderLayerOptions(8, 2).dim_feedforward(0)),
      "TransformerEncoderLayer: dim_feedforward must be positive");
  nn::TransformerEncoderLayer layer(8, 2);
  CHECK_THROWS_WITH(layer.forward(zeros({5, 3, 6})),
                    "TransformerEncoderLayer: src has shape (5, 3, 6), expected (S, N, 8) or "
                    "unbatched (S, 8)");
  CHECK_THROWS_WITH(layer.forward(zeros({5, 3}), Tensor(), zeros({2, 5}, boolean)),
                    Catch::Contains("TransformerEncoderLayer: src has shape (5, 3)"));
  CHECK_THROWS_WITH(layer.forward(zeros({5, 2, 8}), zeros({4, 4}, boolean), Tensor()),
                    "MultiheadAttention: attn_mask has shape (4, 4), expected (5, 5)");
  CHECK_THROWS_WITH(nn::TransformerEncoderLayer(6, 4),
                    "MultiheadAttention: embed_dim 6 must be a positive multiple of num_heads 4");
}

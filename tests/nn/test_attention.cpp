// Tests of nn::MultiheadAttention: gradcheck and gradgradcheck in float64, masks (a forbidden key
// gets weight 0, causal attention ignores the future), shapes, parameter names and printing.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "gradient_checks.hpp"
#include "nn/attention.hpp"

using namespace xgrad;
using xgrad::testing::check_gradients_twice;
using xgrad::testing::input;

TEST_CASE("MultiheadAttention passes gradcheck and gradgradcheck in float64",
          "[nn][attention][gradcheck]") {
  Generator g(1);
  nn::MultiheadAttention mha(4, 2, 0.0, true, true, g, float64);
  for (Tensor p : mha.parameters()) {  // biases start at 0: give them values that matter
    if (p.dim() == 1) p.set_data(input(p.shape(), 9 + p.numel()).detach());
  }
  const Tensor q = input({2, 3, 4}, 2), k = input({2, 2, 4}, 3), v = input({2, 2, 4}, 4);
  std::vector<Tensor> inputs = {q, k, v};
  for (const Tensor& p : mha.parameters()) inputs.push_back(p);
  check_gradients_twice(
      [&](const std::vector<Tensor>& x) {
        nn::AttentionOutput out = mha.forward(x[0], x[1], x[2]);
        return concat({reshape(out.output, {-1}), reshape(out.weights, {-1})}, 0);
      },
      inputs);
}

TEST_CASE("attention masks: a padded key gets no weight, causal attention ignores the future",
          "[nn][attention]") {
  Generator g(5);
  nn::MultiheadAttention mha(4, 2, 0.0, true, false, g, float64);
  const Tensor x = input({3, 1, 4}, 6);  // (L, N, E)
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor padding(xt::xarray<double>{{0.0, -inf, 0.0}});
  const auto w = testing::values(mha.forward(x, x, x, padding).weights);  // (1, 3, 3)
  for (std::size_t i = 0; i < 3; ++i) CHECK(w[i * 3 + 1] == 0.0);
  const auto c =
      testing::values(mha.forward(x, x, x, Tensor(), true, Tensor(), true, true).weights);
  for (std::size_t i = 0; i < 3; ++i) {
    double row = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      if (j > i) CHECK(c[i * 3 + j] == 0.0);
      row += c[i * 3 + j];
    }
    CHECK(row == Approx(1.0));
  }
  // The first output position depends on the first input position only.
  const auto before = testing::values(
      select(mha.forward(x, x, x, Tensor(), false, Tensor(), true, true).output, 0, 0));
  Tensor changed = x.detach().clone();
  changed.data<double>()(2, 0, 1) += 1.0;
  const auto after = testing::values(select(
      mha.forward(changed, changed, changed, Tensor(), false, Tensor(), true, true).output, 0, 0));
  for (std::size_t i = 0; i < before.size(); ++i)
    CHECK(after[i] == Approx(before[i]).epsilon(1e-14));
}

TEST_CASE("bool masks (true = masked out) give what the equivalent float masks give",
          "[nn][attention]") {
  Generator g(7);
  nn::MultiheadAttention mha(4, 2, 0.0, true, true, g, float64);
  const Tensor q = input({2, 3, 4}, 11), kv = input({2, 4, 4}, 12);  // (N, L, E), (N, S, E)
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor padding_bool =
      from_vector(std::vector<bool>{false, false, true, true, false, false, false, true}, {2, 4});
  const Tensor padding_float(xt::xarray<double>{{0, 0, -inf, -inf}, {0, 0, 0, -inf}});
  const std::vector<bool> mask_values = {false, true,  false, false, false, false,
                                         true,  false, false, false, false, true};
  const Tensor mask_bool = from_vector(mask_values, {3, 4});
  const Tensor mask_float(xt::xarray<double>{{0, -inf, 0, 0}, {0, 0, -inf, 0}, {0, 0, 0, -inf}});
  auto run = [&](const Tensor& padding, const Tensor& mask) {
    const nn::AttentionOutput out = mha.forward(q, kv, kv, padding, true, mask, false);
    return concat({reshape(out.output, {-1}), reshape(out.weights, {-1})}, 0);
  };
  CHECK(testing::values(run(padding_bool, Tensor())) ==
        testing::values(run(padding_float, Tensor())));
  CHECK(testing::values(run(Tensor(), mask_bool)) == testing::values(run(Tensor(), mask_float)));
  CHECK(testing::values(run(padding_bool, mask_bool)) ==
        testing::values(run(padding_float, mask_float)));
  // mixed: a bool key-padding mask beside a float attention mask
  CHECK(testing::values(run(padding_bool, mask_float)) ==
        testing::values(run(padding_float, mask_float)));
  // a 3-D bool mask, one (L, S) per batch entry and head
  std::vector<bool> repeated;
  for (int i = 0; i < 4; ++i)
    repeated.insert(repeated.end(), mask_values.begin(), mask_values.end());
  CHECK(testing::values(run(Tensor(), from_vector(repeated, {4, 3, 4}))) ==
        testing::values(run(Tensor(), mask_float)));
  // masked keys get weight 0 in every head
  const nn::AttentionOutput out = mha.forward(q, kv, kv, padding_bool, true, Tensor(), false);
  const auto w = testing::values(out.weights);  // (N, heads, L, S)
  for (std::size_t h = 0; h < 2; ++h) {
    for (std::size_t l = 0; l < 3; ++l) {
      CHECK(w[((0 * 2 + h) * 3 + l) * 4 + 2] == 0.0);
      CHECK(w[((0 * 2 + h) * 3 + l) * 4 + 3] == 0.0);
      CHECK(w[((1 * 2 + h) * 3 + l) * 4 + 3] == 0.0);
    }
  }
  // gradients flow through the unmasked positions, to second order
  check_gradients_twice(
      [&](const std::vector<Tensor>& x) {
        return reshape(mha.forward(x[0], x[1], x[1], padding_bool, false, mask_bool).output, {-1});
      },
      {q, kv});
}

TEST_CASE("MultiheadAttention has PyTorch's parameters and prints like its construction",
          "[nn][attention]") {
  nn::MultiheadAttention mha(8, 2, 0.0, true, true);
  std::vector<std::string> names;
  for (const auto& [name, t] : mha.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight",
                                          "out_proj.bias"});
  CHECK(mha.in_proj_weight.shape() == Shape{24, 8});
  CHECK(mha.repr().rfind("MultiheadAttention(embed_dim=8, num_heads=2, batch_first=true", 0) == 0);
  CHECK(mha.repr().find("(out_proj): Linear(in_features=8, out_features=8, bias=true)") !=
        std::string::npos);
}

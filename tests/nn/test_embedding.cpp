// Tests of nn::Embedding: lookups, gradients (repeats summed, none for the padding row), max_norm,
// shapes and printing.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "gradient_checks.hpp"
#include "nn/embedding.hpp"

using namespace xgrad;
using xgrad::testing::check_gradients_twice;
using xgrad::testing::f64;

TEST_CASE("Embedding looks up rows in the shape of the ids", "[nn][embedding]") {
  Generator g(1);
  nn::Embedding emb(5, 3, std::nullopt, std::nullopt, 2.0, g, float64);
  const Tensor out = emb.forward(from_vector(std::vector<std::int64_t>{4, 0, 4, 2}, {2, 2}, int64));
  CHECK(out.shape() == Shape{2, 2, 3});
  const auto w = testing::values(emb.weight), o = testing::values(out);
  for (std::size_t j = 0; j < 3; ++j) {
    CHECK(o[j] == w[12 + j]);     // ids[0][0] = 4
    CHECK(o[3 + j] == w[j]);      // ids[0][1] = 0
    CHECK(o[9 + j] == w[6 + j]);  // ids[1][1] = 2
  }
  // any shape: 0-d gives (dim,), 3-D gives (a, b, c, dim), and empty ids give no rows
  CHECK(emb.forward(scalar_tensor(3, int64)).shape() == Shape{3});
  CHECK(testing::values(emb.forward(scalar_tensor(3, int64))) ==
        std::vector<double>(w.begin() + 9, w.begin() + 12));
  CHECK(emb.forward(zeros({2, 1, 4}, int64)).shape() == Shape{2, 1, 4, 3});
  CHECK(emb.forward(zeros({0, 2}, int64)).shape() == Shape{0, 2, 3});
  // the vector overload (unsigned, so no other meaning) gives the same rows
  CHECK(testing::values(emb.forward(std::vector<std::size_t>{4, 0, 4, 2})) == o);
}

TEST_CASE("Embedding refuses ids that are not int64 and names out-of-range ids",
          "[nn][embedding][errors]") {
  nn::Embedding emb(10, 3);
  CHECK_THROWS_WITH(emb.forward(f64({2.0, 1.0})),
                    "Embedding: indices must be int64, got float64 (convert them with to(int64))");
  CHECK_THROWS_AS(emb.forward(testing::f32({2.0f})), std::invalid_argument);
  CHECK_THROWS_WITH(emb.forward(zeros({2}, boolean)),
                    Catch::StartsWith("Embedding: indices must be int64, got bool"));
  CHECK_THROWS_AS(emb.forward(from_vector(std::vector<std::int64_t>{1, 10}, {2}, int64)),
                  std::out_of_range);
  CHECK_THROWS_WITH(emb.forward(from_vector(std::vector<std::int64_t>{0, 3, -2}, {3}, int64)),
                    "Embedding: index -2 out of range for 10 embeddings (position 2)");
}

TEST_CASE("Embedding gradients add up over repeats and skip the padding row",
          "[nn][embedding][gradcheck]") {
  Generator g(2);
  nn::Embedding emb(5, 3, std::size_t(1), std::nullopt, 2.0, g, float64);
  const auto initial = testing::values(emb.weight);
  for (std::size_t j = 0; j < 3; ++j) CHECK(initial[3 + j] == 0.0);  // the padding row starts at 0
  const std::vector<std::size_t> ids = {3, 1, 3, 0, 1};
  sum(emb.forward(ids) * 2.0).backward();
  const auto grad = testing::values(emb.weight.grad());
  const std::vector<double> per_row = {2, 0, 0, 4, 0};  // row 3 twice, row 1 is padding
  for (std::size_t r = 0; r < 5; ++r) {
    for (std::size_t j = 0; j < 3; ++j) CHECK(grad[r * 3 + j] == per_row[r]);
  }
  // Without the padding row (whose gradient is 0 by design though the output depends on it).
  const std::vector<std::size_t> plain = {3, 0, 3, 4};
  check_gradients_twice(
      [&](const std::vector<Tensor>&) { return emb.forward(plain) * emb.forward(plain); },
      {emb.weight});
}

TEST_CASE("Embedding with max_norm rescales the looked-up rows in place", "[nn][embedding]") {
  Generator g(3);
  nn::Embedding emb(4, 3, std::nullopt, 1.0, 2.0, g, float64);
  emb.forward(std::vector<std::size_t>{0, 2});
  const auto w = testing::values(emb.weight);
  for (std::size_t r : {0u, 2u}) {
    const double norm =
        std::sqrt(w[r * 3] * w[r * 3] + w[r * 3 + 1] * w[r * 3 + 1] + w[r * 3 + 2] * w[r * 3 + 2]);
    CHECK(norm <= 1.0 + 1e-9);
  }
}

TEST_CASE("Embedding prints like its construction", "[nn][embedding]") {
  CHECK(nn::Embedding(10, 3).repr() == "Embedding(10, 3)");
  CHECK(nn::Embedding(10, 3, std::size_t(0), 2.0).repr() ==
        "Embedding(10, 3, padding_idx=0, max_norm=2)");
}

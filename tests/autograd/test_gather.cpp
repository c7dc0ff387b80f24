// gather, scatter_add, index_add and embedding: values as torch.gather, torch.Tensor.scatter_add,
// torch.index_add and F.embedding give them (worked out by hand below), first and second
// derivatives in float64, and the errors that name the op and the values.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "bad_input.hpp"
#include "gradient_checks.hpp"

using namespace xgrad;
using xgrad::testing::BadCall;
using xgrad::testing::check_bad_calls;
using xgrad::testing::Throws;

namespace {

using Values = std::vector<double>;
using I64 = std::vector<std::int64_t>;

Tensor ids(const I64& values, const Shape& shape) {
  return from_vector(values, shape, int64);
}

Tensor grid() {
  return arange(0, 6, 1, float64).reshape({2, 3});  // [[0, 1, 2], [3, 4, 5]]
}

}  // namespace

TEST_CASE("gather picks entries along a dim with index's shape, negative dims included",
          "[autograd][gather]") {
  const Tensor x = grid();
  // torch.gather(x, 1, [[2, 0], [1, 1]]) = [[2, 0], [4, 4]]
  CHECK(gather(x, 1, ids({2, 0, 1, 1}, {2, 2})).to_vector<double>() == Values{2, 0, 4, 4});
  CHECK(gather(x, -1, ids({2, 0, 1, 1}, {2, 2})).to_vector<double>() == Values{2, 0, 4, 4});
  // dim 0, index smaller than x along dim 1: [[1, 0]] -> [[x[1][0], x[0][1]]] = [[3, 1]]
  const Tensor y = gather(x, 0, ids({1, 0}, {1, 2}));
  CHECK(y.shape() == Shape{1, 2});
  CHECK(y.to_vector<double>() == Values{3, 1});
  CHECK(gather(scalar_tensor(7, float64), 0, ids({0}, {})).item() == 7);
  CHECK(gather(ids({5, 6, 7}, {3}), 0, ids({2, 2, 0}, {3})).to_vector<std::int64_t>() ==
        I64{7, 7, 5});
}

TEST_CASE("scatter_add adds src at the indexed positions, repeats accumulating",
          "[autograd][gather]") {
  const Tensor x = zeros({2, 3}, float64);
  const Tensor src = arange(1, 7, 1, float64).reshape({2, 3});  // [[1, 2, 3], [4, 5, 6]]
  // index [[0, 0, 2]] along dim 1 of row 0 only: out[0][0] += 1 + 2, out[0][2] += 3
  const Tensor out = scatter_add(x, 1, ids({0, 0, 2}, {1, 3}), src);
  CHECK(out.to_vector<double>() == Values{3, 0, 3, 0, 0, 0});
  // along dim -2 with every row sent to row 1
  CHECK(scatter_add(grid(), -2, ids({1, 1, 1, 1, 1, 1}, {2, 3}), src).to_vector<double>() ==
        Values{0, 1, 2, 8, 11, 14});
  CHECK(x.to_vector<double>() == Values{0, 0, 0, 0, 0, 0});  // out of place
}

TEST_CASE("index_add adds alpha times source's slices, repeats accumulating",
          "[autograd][gather]") {
  const Tensor source = arange(1, 7, 1, float64).reshape({3, 2});  // rows [1 2] [3 4] [5 6]
  const Tensor out = index_add(zeros({2, 2}, float64), 0, ids({1, 0, 1}, {3}), source, 2.0);
  CHECK(out.to_vector<double>() == Values{6, 8, 12, 16});
  const Tensor last = index_add(zeros({2, 2}, float64), -1, ids({-1}, {1}), ones({2, 1}, float64));
  CHECK(last.to_vector<double>() == Values{0, 1, 0, 1});
}

TEST_CASE("embedding looks up rows for indices of any shape", "[autograd][gather]") {
  const Tensor weight = arange(0, 8, 1, float64).reshape({4, 2});
  const Tensor out = embedding(weight, ids({3, 0, 3, 1}, {2, 2}));
  CHECK(out.shape() == Shape{2, 2, 2});
  CHECK(out.to_vector<double>() == Values{6, 7, 0, 1, 6, 7, 2, 3});
  CHECK(embedding(weight, ids({2}, {})).to_vector<double>() == Values{4, 5});
}

TEST_CASE("embedding gradients add up over repeats and skip padding_idx", "[autograd][gather]") {
  for (long padding : {1L, -3L}) {  // -3 is row 1 of 4
    Tensor weight = ones({4, 2}, float64, true);
    sum(embedding(weight, ids({1, 3, 3, 0, 1}, {5}), padding) * 2.0).backward();
    CHECK(weight.grad().to_vector<double>() == Values{2, 2, 0, 0, 0, 0, 4, 4});
  }
}

TEST_CASE("gather, scatter_add, index_add and embedding pass gradcheck and gradgradcheck",
          "[autograd][gather]") {
  using testing::check_gradients_twice;
  using testing::input;
  SECTION("gather: scalar, vector, matrix, 3-D, negative dim") {
    check_gradients_twice([](const auto& v) { return gather(v[0] * v[0], 0, ids({0}, {})); },
                          {input({}, 1)});
    check_gradients_twice(
        [](const auto& v) {
          return gather(v[0] * v[0], 0, ids({3, 0, 3, 1, 1}, {5}));
        },
        {input({4}, 2)});
    check_gradients_twice(
        [](const auto& v) {
          return gather(v[0] * v[0], -1, ids({2, 2, 0, 1}, {2, 2}));
        },
        {input({2, 3}, 3)});
    check_gradients_twice(
        [](const auto& v) {
          return gather(v[0] * v[0], -3, ids({1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1}, {2, 3, 2}));
        },
        {input({2, 3, 4}, 4)});
  }
  SECTION("scatter_add: repeats, a src larger than index, negative dim") {
    check_gradients_twice(
        [](const auto& v) {
          return scatter_add(v[0] * v[0], 0, ids({2, 2, 0}, {3}), v[1] * v[1]);
        },
        {input({4}, 5), input({3}, 6)});
    check_gradients_twice(
        [](const auto& v) {
          return scatter_add(v[0] * v[0], -1, ids({0, 0, 1, 2}, {2, 2}), v[1] * v[1]);
        },
        {input({2, 3}, 7), input({3, 4}, 8)});
    check_gradients_twice(
        [](const auto& v) {
          return scatter_add(v[0] * v[0], 1, ids({2, 0, 0, 1, 1, 1, 2, 0}, {2, 2, 2}), v[1] * v[1]);
        },
        {input({2, 3, 2}, 9), input({2, 2, 2}, 10)});
  }
  SECTION("index_add: repeats, alpha, negative dim and index") {
    check_gradients_twice(
        [](const auto& v) {
          return index_add(v[0] * v[0], 0, ids({1, 1, 0}, {3}), v[1] * v[1], 0.5);
        },
        {input({2}, 11), input({3}, 12)});
    check_gradients_twice(
        [](const auto& v) {
          return index_add(v[0] * v[0], -2, ids({2, -1, 0}, {3}), v[1] * v[1], -1.5);
        },
        {input({2, 3, 2}, 13), input({2, 3, 2}, 14)});
  }
  SECTION("embedding: repeats, and a padding_idx that is not looked up") {
    // A looked-up padding row gets no gradient on purpose, so finite differences would disagree
    // there; its value test is above.
    check_gradients_twice(
        [](const auto& v) {
          return embedding(v[0] * v[0], ids({2, 0, 2, 3, 3, 0}, {2, 3}), 1);
        },
        {input({4, 3}, 15)});
    check_gradients_twice(
        [](const auto& v) {
          return embedding(v[0] * v[0], ids({2, 0, 2}, {3}));
        },
        {input({3, 2}, 16)});
  }
}

TEST_CASE("gather, scatter_add, index_add and embedding name the op and the values in errors",
          "[autograd][gather][errors]") {
  const Tensor x = grid();
  check_bad_calls({
      {"float indices to gather",
       [&] {
         gather(x, 0, ones({2, 3}));
       },
       Throws::invalid_argument, "gather: index must be int64, got float32"},
      {"gather index out of range",
       [&] {
         gather(x, 1, ids({0, 3}, {1, 2}));
       },
       Throws::out_of_range, "gather: index 3 out of range for dim 1 of extent 3 (position 1)"},
      {"gather negative index",
       [&] {
         gather(x, 0, ids({-1}, {1, 1}));
       },
       Throws::out_of_range, "gather: index -1 out of range for dim 0 of extent 2 (position 0)"},
      {"gather rank mismatch", [&] { gather(x, 0, ids({0}, {1})); }, Throws::invalid_argument,
       "gather: index has rank 1 but input has rank 2; they must match"},
      {"gather index too large off dim",
       [&] {
         gather(x, 0, ids({0, 0, 0, 0}, {1, 4}));
       },
       Throws::invalid_argument,
       "gather: index of shape (1, 4) is larger than input of shape (2, 3) at dim 1"},
      {"gather dim out of range",
       [&] {
         gather(x, 2, ids({0}, {1, 1}));
       },
       Throws::out_of_range, "gather: axis 2 out of range for a tensor of shape (2, 3)"},
      {"scatter_add src too small",
       [&] {
         scatter_add(x, 0, ids({0, 1}, {1, 2}), ones({1, 1}, float64));
       },
       Throws::invalid_argument,
       "scatter_add: index of shape (1, 2) is larger than src of shape (1, 1) at dim 1"},
      {"scatter_add src of another rank",
       [&] {
         scatter_add(x, 0, ids({0, 1}, {1, 2}), ones({2}, float64));
       },
       Throws::invalid_argument,
       "scatter_add: index has rank 2 but src has rank 1; they must match"},
      {"scatter_add src of another dtype",
       [&] {
         scatter_add(x, 0, ids({0, 1}, {1, 2}), ones({1, 2}));
       },
       Throws::invalid_argument, "scatter_add: dtype mismatch: float64 and float32"},
      {"index_add source of the wrong shape",
       [&] {
         index_add(x, 0, ids({0}, {1}), ones({2, 3}, float64));
       },
       Throws::invalid_argument,
       "index_add: source of shape (2, 3) does not fit input of shape (2, 3) with 1 indices along "
       "dim 0; expected (1, 3)"},
      {"index_add index out of range",
       [&] {
         index_add(x, 1, ids({0, -4}, {2}), ones({2, 2}, float64));
       },
       Throws::out_of_range, "index_add: index -4 out of range for dim 1 of extent 3 (position 1)"},
      {"embedding float indices", [&] { embedding(x, ones({2})); }, Throws::invalid_argument,
       "embedding: indices must be int64, got float32"},
      {"embedding index out of range",
       [&] {
         embedding(x, ids({0, 2}, {2}));
       },
       Throws::out_of_range, "embedding: index 2 out of range for 2 embeddings (position 1)"},
      {"embedding padding_idx out of range", [&] { embedding(x, ids({0}, {1}), -3); },
       Throws::invalid_argument, "embedding: padding_idx -3 out of range for 2 embeddings"},
      {"index_add with a 2-D index",
       [&] {
         index_add(x, 0, ids({0, 1}, {1, 2}), ones({2, 3}, float64));
       },
       Throws::invalid_argument, "index_add: index must be 1-D, got shape (1, 2)"},
      {"embedding of a 1-D weight", [&] { embedding(ones({3}, float64), ids({0}, {1})); },
       Throws::invalid_argument,
       "embedding: weight must be 2-D (num_embeddings, embedding_dim), got (3,)"},
      {"an int64 tensor requiring grad", [&] { ids({0}, {1}).requires_grad_(true); },
       Throws::invalid_argument, "only floating-point tensors can require gradients"},
  });
}

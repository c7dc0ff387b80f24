// The bad-input catalogue of the autograd layer: tensors, factories, ops, fused losses and the
// engine fed undefined tensors, wrong shapes and dtypes, empty tensors, NaN and infinity, sizes
// that cannot exist, and axes, indices and class labels out of range. Each row must throw the
// documented exception type with a message naming the problem (README, Errors); NaN and infinity
// in values propagate through ops as in IEEE arithmetic, which the last case pins down.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

#include "bad_input.hpp"
#include "gradient_checks.hpp"

using namespace xgrad;
using xgrad::testing::BadCall;
using xgrad::testing::check_bad_calls;
using xgrad::testing::f32;
using xgrad::testing::f64;
using xgrad::testing::Throws;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
// What a negative size becomes when a caller passes -1 where a size_t is expected.
constexpr std::size_t kMinusOne = static_cast<std::size_t>(-1);

using Labels = std::vector<std::int64_t>;

}  // namespace

TEST_CASE("ops refuse undefined tensors, wrong shapes and wrong dtypes by name",
          "[autograd][errors]") {
  const Tensor undefined;
  const Tensor a = ones({2, 3});
  const Tensor a64 = ones({2, 3}, float64);
  SECTION("undefined tensors") {
    check_bad_calls({
        {"add(a, undefined)", [&] { add(a, undefined); }, Throws::invalid_argument,
         "add: tensor is undefined"},
        {"exp(undefined)", [&] { exp(undefined); }, Throws::invalid_argument,
         "exp: tensor is undefined"},
        {"matmul(undefined, a)", [&] { matmul(undefined, a); }, Throws::invalid_argument,
         "matmul: tensor is undefined"},
        {"sum(undefined)", [&] { sum(undefined); }, Throws::invalid_argument,
         "sum: tensor is undefined"},
        {"reshape(undefined)", [&] { reshape(undefined, {1}); }, Throws::invalid_argument,
         "reshape: tensor is undefined"},
        {"undefined.shape()", [&] { undefined.shape(); }, Throws::runtime_error, "undefined"},
    });
  }
  SECTION("wrong shapes") {
    check_bad_calls({
        {"add (2, 3) + (4, 3)",
         [&] {
           add(a, ones({4, 3}));
         },
         Throws::invalid_argument, "add: cannot broadcast (2, 3) with (4, 3)"},
        {"matmul (2, 3) @ (2, 3)", [&] { matmul(a, a); }, Throws::invalid_argument,
         "matmul: inner dimensions differ: a is (2, 3), b is (2, 3)"},
        {"matmul of stacks whose batches do not broadcast",
         [&] {
           matmul(ones({2, 2, 3}), ones({3, 3, 2}));
         },
         Throws::invalid_argument,
         "matmul: batch dimensions do not broadcast: a is (2, 2, 3), b is (3, 3, 2)"},
        {"matmul of a scalar", [&] { matmul(scalar_tensor(1), a); }, Throws::invalid_argument,
         "matmul: both arguments need at least one dimension; a is ()"},
        {"reshape (2, 3) into (4, 2)",
         [&] {
           reshape(a, {4, 2});
         },
         Throws::invalid_argument, "reshape: cannot reshape (2, 3) into (4, 2)"},
        {"reshape with two -1",
         [&] {
           reshape(a, {-1, -1});
         },
         Throws::invalid_argument, "(one -1 at most, no other negatives)"},
        {"reshape with a negative extent",
         [&] {
           reshape(a, {-2, -3});
         },
         Throws::invalid_argument, "reshape: bad shape (-2, -3)"},
        {"concat of (2, 3) and (2, 4) on axis 0",
         [&] {
           concat({a, ones({2, 4})}, 0);
         },
         Throws::invalid_argument, "concat: tensor 1 has shape (2, 4), tensor 0 has (2, 3)"},
        {"concat of nothing", [&] { concat({}, 0); }, Throws::invalid_argument,
         "concat: no tensors given"},
        {"broadcast_to (4, 3)",
         [&] {
           broadcast_to(a, {4, 3});
         },
         Throws::invalid_argument, "broadcast_to: cannot broadcast (2, 3) with (4, 3)"},
        {"transpose() of a 3-D tensor",
         [&] {
           transpose(ones({2, 2, 2}));
         },
         Throws::invalid_argument, "transpose: tensor of shape (2, 2, 2) is not 2-D"},
        {"item() of (2, 3)", [&] { a.item(); }, Throws::invalid_argument,
         "item: tensor of shape (2, 3) has 6 elements, not 1"},
    });
  }
  SECTION("wrong dtypes") {
    check_bad_calls({
        {"float32 + float64", [&] { add(a, a64); }, Throws::invalid_argument,
         "add: dtype mismatch: float32 and float64 (convert one with to())"},
        {"matmul float32 @ float64",
         [&] {
           matmul(ones({3, 2}), ones({2, 3}, float64));
         },
         Throws::invalid_argument, "matmul: dtype mismatch: float32 and float64"},
        {"concat float32 and float64",
         [&] {
           concat({a, a64}, 0);
         },
         Throws::invalid_argument, "concat: dtype mismatch: float32 and float64"},
        {"data<double>() of float32", [&] { a.data<double>(); }, Throws::invalid_argument,
         "data: tensor is float32, not float64"},
        {"gradcheck in float32",
         [&] {
           gradcheck([](const std::vector<Tensor>& x) { return sum(x[0]); },
                     {ones({2}, float32, true)});
         },
         Throws::invalid_argument, "gradcheck: input 0 is float32; gradient checks need float64"},
    });
  }
}

TEST_CASE("ops refuse empty reductions, bad axes and indices, bad arguments and impossible sizes",
          "[autograd][errors]") {
  const Tensor a = ones({2, 3});
  const Tensor empty = zeros({0, 3});
  SECTION("empty tensors") {
    check_bad_calls({
        {"mean of (0, 3)", [&] { mean(empty); }, Throws::invalid_argument,
         "mean: no elements to average in a tensor of shape (0, 3)"},
        {"max of (0, 3)", [&] { max(empty); }, Throws::invalid_argument,
         "max: no elements to compare in a tensor of shape (0, 3)"},
        {"softmax over an empty axis",
         [&] {
           softmax(zeros({2, 0}), 1);
         },
         Throws::invalid_argument, "softmax: axis 1 of a tensor of shape (2, 0) is empty"},
        {"log_softmax over an empty axis",
         [&] {
           log_softmax(zeros({2, 0}), 1);
         },
         Throws::invalid_argument, "log_softmax: axis 1 of a tensor of shape (2, 0) is empty"},
        {"item() of (0, 3)", [&] { empty.item(); }, Throws::invalid_argument,
         "item: tensor of shape (0, 3) has 0 elements, not 1"},
    });
    // Sums and products of nothing are well defined, as in NumPy.
    CHECK(sum(empty).item() == 0.0);
    CHECK(matmul(zeros({2, 0}), zeros({0, 2})).shape() == Shape{2, 2});
  }
  SECTION("axes and indices out of range") {
    check_bad_calls({
        {"sum over axis 2 of (2, 3)", [&] { sum(a, {2}); }, Throws::out_of_range,
         "sum: axis 2 out of range for a tensor of shape (2, 3)"},
        {"sum over axis 1 twice",
         [&] {
           sum(a, {1, -1});
         },
         Throws::invalid_argument, "sum: axis listed twice"},
        {"softmax over axis 2", [&] { softmax(a, 2); }, Throws::out_of_range,
         "softmax: axis 2 out of range"},
        {"transpose axes 0 and 5", [&] { transpose(a, 0, 5); }, Throws::out_of_range,
         "transpose: axis 5 out of range"},
        {"index_select index 5 of 2", [&] { index_select(a, 0, {5}); }, Throws::out_of_range,
         "index_select: index 5 out of range for axis 0 of extent 2"},
        {"select row 2 of 2", [&] { select(a, 0, 2); }, Throws::out_of_range,
         "select: index 2 out of range for axis 0 of extent 2"},
        {"slice with step 0", [&] { slice(a, 0, 0, 1, 0); }, Throws::invalid_argument,
         "slice: step must be positive, got 0"},
        {"select row -3 of 2", [&] { select(a, 0, -3); }, Throws::out_of_range,
         "select: index -3 out of range for axis 0 of extent 2"},
        {"index_select with float indices", [&] { index_select(a, 0, ones({1})); },
         Throws::invalid_argument, "index_select: indices must be a 1-D int64 tensor, got float32"},
        {"narrow past the end", [&] { narrow(a, 1, 2, 2); }, Throws::out_of_range,
         "narrow: start 2 and length 2 do not fit axis 1 of extent 3"},
        {"size(5) of a matrix", [&] { a.size(5); }, Throws::out_of_range,
         "size: axis 5 out of range"},
    });
  }
  SECTION("NaN, infinite, negative and zero arguments") {
    check_bad_calls({
        {"clamp with min > max", [&] { clamp(a, 2, 1); }, Throws::invalid_argument,
         "clamp: need min <= max; got min 2, max 1"},
        {"clamp with a NaN bound", [&] { clamp(a, kNaN, 1); }, Throws::invalid_argument,
         "clamp: need min <= max; got min nan"},
        {"softplus with beta 0", [&] { softplus(a, 0); }, Throws::invalid_argument,
         "softplus: beta must be positive and finite, got 0"},
        {"softplus with beta NaN", [&] { softplus(a, kNaN); }, Throws::invalid_argument,
         "softplus: beta must be positive and finite, got nan"},
        {"arange with step 0", [&] { arange(0, 1, 0); }, Throws::invalid_argument,
         "arange: need finite start, stop and a non-zero step"},
        {"arange to infinity", [&] { arange(0, kInf, 1); }, Throws::invalid_argument, "stop inf"},
        {"uniform with low > high",
         [&] {
           Generator generator(1);
           uniform({2}, 1, 0, generator);
         },
         Throws::invalid_argument, "uniform: need finite low < high; got low 1, high 0"},
        {"uniform with a NaN bound",
         [&] {
           Generator generator(1);
           uniform({2}, kNaN, 1, generator);
         },
         Throws::invalid_argument, "uniform: need finite low < high; got low nan"},
    });
  }
  SECTION("sizes whose element count does not fit in memory (a negative size cast to size_t)") {
    check_bad_calls({
        {"zeros (4, 2^62)",
         [&] {
           zeros({4, std::size_t{1} << 62});
         },
         Throws::invalid_argument,
         "zeros: shape (4, 4611686018427387904) has more elements than fit in memory"},
        {"ones (2, -1)",
         [&] {
           ones({2, kMinusOne});
         },
         Throws::invalid_argument,
         "ones: shape (2, 18446744073709551615) has more elements than fit in memory"},
        {"randn (-1, 2)",
         [&] {
           randn({kMinusOne, 2});
         },
         Throws::invalid_argument, "randn: shape (18446744073709551615, 2) has more elements"},
        {"eye(2^33)", [&] { eye(std::size_t{1} << 33); }, Throws::invalid_argument,
         "eye: shape (8589934592, 8589934592) has more elements"},
        {"arange of 1e600 elements", [&] { arange(0, 1e300, 1e-300); }, Throws::invalid_argument,
         "arange: start 0, stop 1e+300, step 1e-300 give inf elements, more than fit in memory"},
        {"arange of 1e20 elements", [&] { arange(0, 1e20, 1); }, Throws::invalid_argument,
         "give 1e+20 elements"},
        {"reshape an empty tensor into (2^62, 4)",
         [&] {
           reshape(zeros({0}), Shape{std::size_t{1} << 62, 4});
         },
         Throws::invalid_argument,
         "reshape: shape (4611686018427387904, 4) has more elements than fit in memory"},
    });
    // A zero extent makes an empty tensor; the other extents must still be addressable, since
    // strides are computed from them.
    CHECK(zeros({0, std::size_t{1} << 40}).numel() == 0);
    check_bad_calls(
        {{"zeros (0, 2^62, 4)",
          [&] {
            zeros({0, std::size_t{1} << 62, 4});
          },
          Throws::invalid_argument, "zeros: shape (0, 4611686018427387904, 4) has more"}});
    CHECK(eye(0).shape() == Shape{0, 0});
  }
}

TEST_CASE("fused losses refuse bad shapes, dtypes, labels and probabilities",
          "[autograd][loss][errors]") {
  const Tensor logits = ones({2, 5});
  check_bad_calls({
      {"mse_loss of (8, 1) against (8,)",
       [&] {
         mse_loss(ones({8, 1}), ones({8}));
       },
       Throws::invalid_argument, "mse_loss: input (8, 1) and target (8,) differ in shape"},
      {"mse_loss float32 against float64", [&] { mse_loss(ones({2}), ones({2}, float64)); },
       Throws::invalid_argument, "mse_loss: input is float32, target is float64"},
      {"mse_loss mean of nothing",
       [&] {
         mse_loss(zeros({0, 3}), zeros({0, 3}));
       },
       Throws::invalid_argument, "mse_loss: mean over an empty input of shape (0, 3)"},
      {"binary_cross_entropy of p = 1.5", [&] { binary_cross_entropy(full({3}, 1.5), ones({3})); },
       Throws::invalid_argument,
       "input must be probabilities in [0, 1]; found 1.5 at flat index 0"},
      {"binary_cross_entropy of p = NaN", [&] { binary_cross_entropy(full({3}, kNaN), ones({3})); },
       Throws::invalid_argument, "found nan at flat index 0"},
      {"binary_cross_entropy_with_logits (3, 1) against (3,)",
       [&] {
         binary_cross_entropy_with_logits(ones({3, 1}), ones({3}));
       },
       Throws::invalid_argument, "input (3, 1) and target (3,) differ in shape"},
      {"cross_entropy class 7 of 5",
       [&] {
         cross_entropy(logits, Labels{1, 7});
       },
       Throws::out_of_range, "cross_entropy: target 7 out of range for 5 classes (row 1)"},
      {"cross_entropy class -1",
       [&] {
         cross_entropy(logits, Labels{-1, 0});
       },
       Throws::out_of_range, "cross_entropy: target -1 out of range for 5 classes (row 0)"},
      {"cross_entropy of no classes",
       [&] {
         cross_entropy(zeros({2, 0}), Labels{0, 0});
       },
       Throws::out_of_range, "target 0 out of range for 0 classes"},
      {"cross_entropy with 1 label for 2 rows", [&] { cross_entropy(logits, Labels{1}); },
       Throws::invalid_argument, "cross_entropy: 1 targets for logits of shape (2, 5)"},
      {"cross_entropy of 1-D logits", [&] { cross_entropy(ones({5}), Labels{1}); },
       Throws::invalid_argument, "cross_entropy: logits must be 2-D (N, C); got (5,)"},
      {"cross_entropy label 0.5",
       [&] {
         cross_entropy(logits, f32({0.5f, 1.0f}));
       },
       Throws::invalid_argument, "cross_entropy: target 0.5 is not a class index (row 0)"},
      {"cross_entropy label NaN",
       [&] {
         cross_entropy(logits, f32({std::numeric_limits<float>::quiet_NaN(), 1.0f}));
       },
       Throws::invalid_argument, "cross_entropy: target nan is not a class index (row 0)"},
      {"cross_entropy labels of shape (2, 1)",
       [&] {
         cross_entropy(logits, ones({2, 1}));
       },
       Throws::invalid_argument, "cross_entropy: target must be 1-D class indices; got (2, 1)"},
      {"cross_entropy label_smoothing 2",
       [&] {
         cross_entropy(logits, Labels{1, 1}, Reduction::mean, 2);
       },
       Throws::invalid_argument, "cross_entropy: label_smoothing must be in [0, 1], got 2"},
      {"cross_entropy label_smoothing NaN",
       [&] {
         cross_entropy(logits, Labels{1, 1}, Reduction::mean, kNaN);
       },
       Throws::invalid_argument, "label_smoothing must be in [0, 1], got nan"},
      {"cross_entropy mean of no rows",
       [&] {
         cross_entropy(zeros({0, 5}), Labels{});
       },
       Throws::invalid_argument, "cross_entropy: mean over an empty input"},
  });
}

TEST_CASE("misuse of autograd state is refused by name", "[autograd][engine][errors]") {
  check_bad_calls({
      {"backward of a non-scalar without a gradient",
       [] { (ones({2}, float32, true) * 2.0).backward(); }, Throws::runtime_error,
       "backward: tensor of shape (2,) is not a scalar; pass a gradient of that shape"},
      {"backward with a gradient of the wrong shape",
       [] { (ones({2}, float32, true) * 2.0).backward(ones({3})); }, Throws::invalid_argument,
       "backward: gradient is float32 (3,), tensor is float32 (2,)"},
      {"backward with a gradient of the wrong dtype",
       [] { (ones({2}, float32, true) * 2.0).backward(ones({2}, float64)); },
       Throws::invalid_argument, "backward: gradient is float64 (2,), tensor is float32 (2,)"},
      {"backward of a tensor that needs no grad", [] { sum(ones({2})).backward(); },
       Throws::runtime_error, "does not require grad and has no grad_fn"},
      {"a second backward through a freed graph",
       [] {
         Tensor y = sum(exp(ones({2}, float32, true)));
         y.backward();
         y.backward();
       },
       Throws::runtime_error, "trying to backward through the graph a second time"},
      {"requires_grad_ on a non-leaf",
       [] { (ones({2}, float32, true) * 2.0).requires_grad_(false); }, Throws::invalid_argument,
       "requires_grad_: only leaf tensors can change requires_grad"},
      {"set_data on a non-leaf", [] { (ones({2}, float32, true) * 2.0).set_data(ones({2})); },
       Throws::invalid_argument, "set_data: only leaf tensors can have their values replaced"},
      {"set_grad of the wrong shape", [] { ones({2}, float32, true).set_grad(ones({3})); },
       Throws::invalid_argument, "set_grad: gradient is float32 (3,), tensor is float32 (2,)"},
      {"autograd::grad of an unused input",
       [] {
         Tensor x = ones({2}, float64, true);
         autograd::grad({sum(x * 2.0)}, {x, ones({1}, float64, true)});
       },
       Throws::invalid_argument, "input 1 of shape (1,) is not used"},
      {"item() of an undefined tensor", [] { Tensor().item(); }, Throws::runtime_error,
       "item: tensor is undefined"},
      {"size(0) of an undefined tensor", [] { Tensor().size(0); }, Throws::runtime_error,
       "size: tensor is undefined"},
      {"record() with an undefined input",
       [] {
         Tensor x = ones({2}, float64, true);
         record("user_op", x * 2.0, {x, Tensor()}, [](const Tensor& dy) {
           return Gradients{dy, Tensor()};
         });
       },
       Throws::invalid_argument, "record: input 1 of 'user_op' is undefined"},
      {"backward after set_data changed the leaf's shape",
       [] {
         Tensor w = ones({2, 2}, float64, true);
         Tensor loss = sum(relu(w));  // relu's backward saves no input, only its output
         w.set_data(ones({5, 5}, float64));
         loss.backward();
       },
       Throws::runtime_error,
       "backward: a gradient of float64 (2, 2) reaches a leaf that is now float64 (5, 5)"},
  });
}

TEST_CASE("NaN and infinity in values propagate through ops as in IEEE arithmetic",
          "[autograd][errors]") {
  // Ops do not scan values: a NaN in is a NaN out, never an exception and never a number that
  // hides it. Data entry points (read_csv, Dataset, scalers, metrics) refuse NaN; the Trainer stops
  // on a non-finite loss (nn tests).
  Tensor x = f64({kNaN, kInf, -kInf, 1.0}, true);
  const std::vector<double> y = testing::values(exp(x));
  CHECK(std::isnan(y[0]));
  CHECK(y[1] == kInf);
  CHECK(y[2] == 0.0);
  CHECK(std::isnan(sum(x).item()));
  CHECK(std::isnan(cross_entropy(full({2, 3}, kNaN), Labels{0, 0}).item()));
  sum(x * 3.0).backward();
  CHECK(testing::values(x.grad()) == std::vector<double>{3, 3, 3, 3});
}

TEST_CASE("normalization ops and the new activations refuse bad shapes and arguments by name",
          "[autograd][normalization][errors]") {
  const Tensor x = ones({2, 3, 4});
  check_bad_calls({
      {"batch_norm on a vector", [&] { batch_norm(ones({3}), Tensor(), Tensor()); },
       Throws::invalid_argument,
       "batch_norm: input of shape (3,) has rank 1; expected (N, C, ...) with rank at least 2"},
      {"batch_norm with a (4,) weight for 3 channels",
       [&] { batch_norm(x, Tensor(), Tensor(), ones({4})); }, Throws::invalid_argument,
       "batch_norm: weight has shape (4,), expected (3,) for input of shape (2, 3, 4)"},
      {"batch_norm with a (2,) running_var", [&] { batch_norm(x, zeros({3}), ones({2})); },
       Throws::invalid_argument, "batch_norm: running_var has shape (2,), expected (3,)"},
      {"batch_norm training on one value per channel",
       [&] {
         batch_norm(ones({1, 3}), Tensor(), Tensor(), Tensor(), Tensor(), true);
       },
       Throws::invalid_argument,
       "batch_norm: expected more than 1 value per channel when training, got input of shape "
       "(1, 3)"},
      {"batch_norm float32 input with a float64 bias",
       [&] { batch_norm(x, Tensor(), Tensor(), Tensor(), ones({3}, float64), true); },
       Throws::invalid_argument, "batch_norm: dtype mismatch: float32 and float64"},
      {"layer_norm over (3,) of (2, 3, 4)", [&] { layer_norm(x, {3}); }, Throws::invalid_argument,
       "layer_norm: input of shape (2, 3, 4) does not end in normalized_shape (3,)"},
      {"layer_norm over ()", [&] { layer_norm(x, {}); }, Throws::invalid_argument,
       "layer_norm: input of shape (2, 3, 4) does not end in normalized_shape ()"},
      {"group_norm with 2 groups of 3 channels", [&] { group_norm(x, 2); },
       Throws::invalid_argument,
       "group_norm: num_groups 2 does not divide the 3 channels of input of shape (2, 3, 4)"},
      {"group_norm with a (3, 1) weight",
       [&] {
         group_norm(x, 3, ones({3, 1}));
       },
       Throws::invalid_argument, "group_norm: weight has shape (3, 1), expected (3,)"},
      {"gelu approximate 'fast'", [&] { gelu(x, "fast"); }, Throws::invalid_argument,
       "gelu: approximate must be \"none\" or \"tanh\", got \"fast\""},
      {"elu alpha NaN", [&] { elu(x, kNaN); }, Throws::invalid_argument,
       "elu: alpha must be finite, got nan"},
      {"hardtanh min NaN", [&] { hardtanh(x, kNaN, 1); }, Throws::invalid_argument,
       "hardtanh: min_val must not exceed max_val (nor be NaN), got nan and 1"},
  });
}

TEST_CASE("convolutions and pooling refuse bad geometry by name, with the shapes",
          "[autograd][conv][pooling][errors]") {
  const Tensor x = zeros({2, 3, 5, 5});
  const Tensor w = zeros({4, 3, 3, 3});
  const Tensor x1 = zeros({2, 3, 7});
  check_bad_calls({
      {"conv2d with a weight for another channel count",
       [&] {
         conv2d(x, zeros({4, 2, 3, 3}));
       },
       Throws::invalid_argument,
       "conv2d: input (2, 3, 5, 5) has 3 channels; weight (4, 2, 3, 3) with groups 1 expects 2"},
      {"conv2d on an input of rank 2",
       [&] {
         conv2d(zeros({5, 5}), w);
       },
       Throws::invalid_argument,
       "conv2d: expected input of rank 4 (N, C, H, W) or 3 (C, H, W); got (5, 5)"},
      {"conv2d with a weight of rank 3",
       [&] {
         conv2d(x, zeros({4, 3, 3}));
       },
       Throws::invalid_argument, "conv2d: expected weight of rank 4"},
      {"conv2d with a kernel larger than the padded input",
       [&] {
         conv2d(x, zeros({4, 3, 7, 7}));
       },
       Throws::invalid_argument,
       "conv2d: kernel (7, 7) with dilation (1, 1) spans (7, 7), larger than the padded input "
       "(5, 5) (input (2, 3, 5, 5), padding (0, 0))"},
      {"conv2d with a dilated kernel larger than the padded input",
       [&] { conv2d(x, w, Tensor(), 1, 1, 4); }, Throws::invalid_argument,
       "spans (9, 9), larger than the padded input (7, 7)"},
      {"conv2d with stride 0",
       [&] {
         conv2d(x, w, Tensor(), {0, 1});
       },
       Throws::invalid_argument, "conv2d: stride must be positive; got (0, 1)"},
      {"conv2d with a negative stride", [&] { conv2d(x, w, Tensor(), -2); },
       Throws::invalid_argument, "conv2d: stride must be positive; got (-2, -2)"},
      {"conv2d with a negative padding", [&] { conv2d(x, w, Tensor(), 1, -1); },
       Throws::invalid_argument, "conv2d: padding must be non-negative; got (-1, -1)"},
      {"conv2d with padding same and stride 2", [&] { conv2d(x, w, Tensor(), 2, "same"); },
       Throws::invalid_argument, "conv2d: padding \"same\" needs stride 1; got stride (2, 2)"},
      {"conv2d with an unknown padding mode", [&] { conv2d(x, w, Tensor(), 1, "full"); },
       Throws::invalid_argument, "conv2d: padding must be \"same\", \"valid\" or sizes"},
      {"conv2d with groups that do not divide the channels",
       [&] {
         conv2d(x, zeros({4, 1, 3, 3}), Tensor(), 1, 0, 1, 2);
       },
       Throws::invalid_argument,
       "conv2d: input (2, 3, 5, 5) has 3 channels; weight (4, 1, 3, 3) with groups 2 expects 2"},
      {"conv2d with zero groups", [&] { conv2d(x, w, Tensor(), 1, 0, 1, 0); },
       Throws::invalid_argument, "conv2d: groups must be positive; got 0"},
      {"conv2d with a bias of the wrong length", [&] { conv2d(x, w, zeros({3})); },
       Throws::invalid_argument, "conv2d: bias (3,) should be (4,)"},
      {"conv2d with mixed dtypes",
       [&] {
         conv2d(x, zeros({4, 3, 3, 3}, float64));
       },
       Throws::invalid_argument, "conv2d: dtype mismatch: float32 and float64"},
      {"conv1d with a weight for another channel count",
       [&] {
         conv1d(x1, zeros({2, 4, 3}));
       },
       Throws::invalid_argument,
       "conv1d: input (2, 3, 7) has 3 channels; weight (2, 4, 3) with groups 1 expects 4"},
      {"conv1d with a kernel larger than the padded input",
       [&] {
         conv1d(x1, zeros({2, 3, 9}), Tensor(), 1, 0);
       },
       Throws::invalid_argument,
       "conv1d: kernel 9 with dilation 1 spans 9, larger than the padded input 7"},
      {"conv1d with stride 0",
       [&] {
         conv1d(x1, zeros({2, 3, 3}), Tensor(), 0);
       },
       Throws::invalid_argument, "conv1d: stride must be positive; got 0"},
      {"conv1d on an input of rank 4",
       [&] {
         conv1d(x, zeros({2, 3, 3}));
       },
       Throws::invalid_argument, "conv1d: expected input of rank 3 (N, C, L) or 2 (C, L)"},
      {"max_pool2d on an input of rank 2",
       [&] {
         max_pool2d(zeros({4, 4}), 2);
       },
       Throws::invalid_argument,
       "max_pool2d: expected input of rank 4 (N, C, H, W) or 3 (C, H, W); got (4, 4)"},
      {"max_pool2d with a kernel larger than the padded input", [&] { max_pool2d(x, 6); },
       Throws::invalid_argument,
       "max_pool2d: kernel (6, 6) with dilation (1, 1) spans (6, 6), larger than the padded input "
       "(5, 5)"},
      {"max_pool2d with stride 0", [&] { max_pool2d(x, 2, 0); }, Throws::invalid_argument,
       "max_pool2d: stride must be positive; got (0, 0)"},
      {"max_pool2d with padding above half the kernel", [&] { max_pool2d(x, 2, 2, 2); },
       Throws::invalid_argument,
       "max_pool2d: padding must be between 0 and half the kernel size (2, 2); got (2, 2)"},
      {"max_pool1d with a negative stride", [&] { max_pool1d(x1, 2, -1); },
       Throws::invalid_argument, "max_pool1d: stride must be positive; got -1"},
      {"avg_pool2d with a zero kernel",
       [&] {
         avg_pool2d(x, {0, 2});
       },
       Throws::invalid_argument, "avg_pool2d: kernel_size must be positive; got (0, 2)"},
      {"avg_pool1d with a kernel larger than the input", [&] { avg_pool1d(x1, 8); },
       Throws::invalid_argument, "avg_pool1d: kernel 8 with dilation 1 spans 8"},
      {"adaptive_avg_pool2d to a zero size",
       [&] {
         adaptive_avg_pool2d(x, {0, 1});
       },
       Throws::invalid_argument, "adaptive_avg_pool2d: output_size must be positive; got (0, 1)"},
      {"adaptive_avg_pool2d on an input of rank 5",
       [&] {
         adaptive_avg_pool2d(zeros({1, 1, 1, 2, 2}), 1);
       },
       Throws::invalid_argument, "adaptive_avg_pool2d: expected input of rank 4"},
  });
}

TEST_CASE("batched matmul, statistics, view and join ops refuse bad shapes and arguments by name",
          "[autograd][errors]") {
  const Tensor a = ones({2, 3});
  const Tensor c = ones({2, 3, 4});
  check_bad_calls({
      {"matmul of stacks whose batches do not broadcast",
       [&] {
         matmul(c, ones({5, 4, 2}));
       },
       Throws::invalid_argument,
       "matmul: batch dimensions do not broadcast: a is (2, 3, 4), b is (5, 4, 2)"},
      {"bmm of different batch sizes",
       [&] {
         bmm(c, ones({3, 4, 2}));
       },
       Throws::invalid_argument,
       "bmm: needs two 3-D tensors with the same batch size; a is (2, 3, 4), b is (3, 4, 2)"},
      {"min over an empty axis",
       [&] {
         min(zeros({2, 0}), {1});
       },
       Throws::invalid_argument, "min: no elements to reduce in a tensor of shape (2, 0)"},
      {"logsumexp over an axis out of range", [&] { logsumexp(a, {2}); }, Throws::out_of_range,
       "logsumexp: axis 2 out of range for a tensor of shape (2, 3)"},
      {"var over a repeated axis",
       [&] {
         var(a, {1, -1});
       },
       Throws::invalid_argument, "var: axis listed twice for a tensor of shape (2, 3)"},
      {"std of an undefined tensor", [&] { xgrad::std(Tensor()); }, Throws::invalid_argument,
       "std: tensor is undefined"},
      {"norm with p = 3", [&] { norm(a, 3); }, Throws::invalid_argument,
       "norm: p must be 1, 2 or inf, got 3"},
      {"cumsum along an axis out of range", [&] { cumsum(a, -3); }, Throws::out_of_range,
       "cumsum: axis -3 out of range for a tensor of shape (2, 3)"},
      {"sign of an undefined tensor", [&] { sign(Tensor()); }, Throws::invalid_argument,
       "sign: tensor is undefined"},
      {"squeeze of an axis out of range", [&] { squeeze(a, 2); }, Throws::out_of_range,
       "squeeze: axis 2 out of range for a tensor of shape (2, 3)"},
      {"unsqueeze at an axis out of range", [&] { unsqueeze(a, 3); }, Throws::out_of_range,
       "unsqueeze: axis 3 out of range for a tensor of shape (2, 3) (a new axis goes from -3 to "
       "2)"},
      {"permute with a repeated axis",
       [&] {
         permute(c, {0, 0, 1});
       },
       Throws::invalid_argument,
       "permute: (0, 0, 1) is not a permutation of the 3 axes of (2, 3, 4)"},
      {"expand to an incompatible shape",
       [&] {
         expand(a, {4, 3});
       },
       Throws::invalid_argument, "expand: cannot expand (2, 3) to (4, 3)"},
      {"flatten with start after end", [&] { flatten(c, 2, 0); }, Throws::invalid_argument,
       "flatten: start axis 2 comes after end axis 0 for a tensor of shape (2, 3, 4)"},
      {"stack of different shapes",
       [&] {
         stack({a, ones({2, 4})});
       },
       Throws::invalid_argument,
       "stack: tensor 1 has shape (2, 4), tensor 0 has (2, 3); all must have the same shape"},
      {"split sizes that do not add up",
       [&] {
         split(a, {1, 1}, 1);
       },
       Throws::invalid_argument, "split: sizes (1, 1) add up to 2, but axis 1 has extent 3"},
      {"chunk into no pieces", [&] { chunk(a, 0); }, Throws::invalid_argument,
       "chunk: chunks must be positive, got 0"},
      {"pad with an odd list",
       [&] {
         pad(a, {1, 2, 3});
       },
       Throws::invalid_argument,
       "pad: padding (1, 2, 3) must be (before, after) pairs, at most one per axis of (2, 3)"},
      {"repeat with fewer counts than axes",
       [&] {
         repeat(c, {2, 2});
       },
       Throws::invalid_argument,
       "repeat: repeats (2, 2) must be non-negative, one at least per axis of (2, 3, 4)"},
      {"tril of a vector", [&] { tril(ones({3})); }, Throws::invalid_argument,
       "tril: needs a tensor of rank 2 or more, got (3,)"},
      {"triu of a scalar", [&] { triu(scalar_tensor(1)); }, Throws::invalid_argument,
       "triu: needs a tensor of rank 2 or more, got ()"},
      {"dropout with p above 1", [&] { dropout(a, 1.5); }, Throws::invalid_argument,
       "dropout: p must be in [0, 1], got 1.5"},
  });
}

TEST_CASE(
    "gather, scatter_add, index_add and embedding refuse bad indices by name, with the values",
    "[autograd][errors]") {
  const Tensor a = ones({2, 3}, float64);
  const Tensor index = from_vector(Labels{0, 5}, {1, 2}, int64);
  check_bad_calls({
      {"gather with float indices",
       [&] {
         gather(a, 0, ones({1, 2}));
       },
       Throws::invalid_argument, "gather: index must be int64, got float32"},
      {"gather index out of range", [&] { gather(a, 1, index); }, Throws::out_of_range,
       "gather: index 5 out of range for dim 1 of extent 3 (position 1)"},
      {"gather index of another rank", [&] { gather(a, 0, from_vector(Labels{0}, {1}, int64)); },
       Throws::invalid_argument, "gather: index has rank 1 but input has rank 2; they must match"},
      {"scatter_add src too small",
       [&] {
         scatter_add(a, 0, from_vector(Labels{0, 1}, {1, 2}, int64), ones({1, 1}, float64));
       },
       Throws::invalid_argument,
       "scatter_add: index of shape (1, 2) is larger than src of shape (1, 1) at dim 1"},
      {"index_add index out of range",
       [&] {
         index_add(a, 0, from_vector(Labels{2}, {1}, int64), ones({1, 3}, float64));
       },
       Throws::out_of_range, "index_add: index 2 out of range for dim 0 of extent 2 (position 0)"},
      {"embedding padding_idx out of range",
       [&] { embedding(a, from_vector(Labels{0}, {1}, int64), -3); }, Throws::invalid_argument,
       "embedding: padding_idx -3 out of range for 2 embeddings"},
      {"an int64 index requiring grad", [&] { index.clone().requires_grad_(true); },
       Throws::invalid_argument, "only floating-point tensors can require gradients"},
  });
}

TEST_CASE("from_blob refuses null and misaligned memory and impossible shapes by name",
          "[autograd][errors][from_blob]") {
  alignas(8) static unsigned char bytes[32] = {};
  check_bad_calls({
      {"from_blob of null",
       [] {
         from_blob(nullptr, {2, 3});
       },
       Throws::invalid_argument, "from_blob: data is null for shape (2, 3) (6 elements)"},
      {"from_blob misaligned for float64", [] { from_blob(bytes + 1, {2}, float64); },
       Throws::invalid_argument,
       "is not aligned for float64 (its address must be a multiple of 8)"},
      {"from_blob of a shape beyond memory",
       [] {
         from_blob(bytes, {std::size_t{1} << 40, std::size_t{1} << 40});
       },
       Throws::invalid_argument, "from_blob: shape"},
  });
}

// Tests of the recurrent cells and layers: float64 gradcheck and gradgradcheck of every cell and of
// short unrolled sequences, parameter names, shapes and initialisation, layouts, dropout between
// layers, printing, and a 10,000-step sequence run forward and backward without recursion.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "autograd/ops/recurrent_cell.hpp"
#include "gradient_checks.hpp"
#include "nn/recurrent.hpp"

using namespace xgrad;
using xgrad::testing::check_gradients;
using xgrad::testing::check_gradients_twice;
using xgrad::testing::input;

namespace {

// The module's parameters followed by the data inputs: everything gradcheck perturbs.
std::vector<Tensor> with_parameters(const nn::Module& m, std::vector<Tensor> data) {
  for (const Tensor& p : m.parameters()) data.push_back(p);
  return data;
}

}  // namespace

TEST_CASE("RNNCell, GRUCell and LSTMCell pass gradcheck and gradgradcheck in float64",
          "[nn][recurrent][gradcheck]") {
  Generator g(3);
  const Tensor x = input({2, 3}, 1), h = input({2, 4}, 2), c = input({2, 4}, 3);
  SECTION("RNNCell, tanh") {
    nn::RNNCell cell(3, 4, true, "tanh", g, float64);
    check_gradients_twice([&](const std::vector<Tensor>& v) { return cell.forward(v[0], v[1]); },
                          with_parameters(cell, {x, h}));
  }
  SECTION("RNNCell, relu, first order (its second derivative is 0 almost everywhere)") {
    nn::RNNCell cell(3, 4, true, "relu", g, float64);
    check_gradients([&](const std::vector<Tensor>& v) { return cell.forward(v[0], v[1]); },
                    with_parameters(cell, {x, h}));
  }
  SECTION("GRUCell") {
    nn::GRUCell cell(3, 4, true, g, float64);
    check_gradients_twice([&](const std::vector<Tensor>& v) { return cell.forward(v[0], v[1]); },
                          with_parameters(cell, {x, h}));
  }
  SECTION("LSTMCell, both outputs") {
    nn::LSTMCell cell(3, 4, true, g, float64);
    check_gradients_twice(
        [&](const std::vector<Tensor>& v) {
          nn::LSTMState s = cell.forward(v[0], {v[1], v[2]});
          return concat({s.h, s.c}, 1);
        },
        with_parameters(cell, {x, h, c}));
  }
  SECTION("unbatched input and no bias") {
    nn::LSTMCell cell(3, 4, false, g, float64);
    CHECK(cell.parameters().size() == 2);
    check_gradients_twice(
        [&](const std::vector<Tensor>& v) {
          return cell.forward(v[0], {v[1], v[2]}).h;
        },
        with_parameters(cell, {input({3}, 4), input({4}, 5), input({4}, 6)}));
  }
}

TEST_CASE("RNN, GRU and LSTM unrolled over short sequences pass gradcheck and gradgradcheck",
          "[nn][recurrent][gradcheck]") {
  Generator g(5);
  const nn::RNNOptions o = nn::RNNOptions(2, 3).num_layers(2);
  const Tensor x = input({3, 2, 2}, 7), h0 = input({2, 2, 3}, 8), c0 = input({2, 2, 3}, 9);
  SECTION("RNN") {
    nn::RNN rnn(o, g, float64);
    check_gradients_twice(
        [&](const std::vector<Tensor>& v) {
          nn::RNNOutput out = rnn.forward(v[0], v[1]);
          return concat({reshape(out.output, {-1}), reshape(out.h_n, {-1})}, 0);
        },
        with_parameters(rnn, {x, h0}));
  }
  SECTION("GRU, batch first") {
    nn::GRU gru(nn::RNNOptions(o).batch_first(true), g, float64);
    check_gradients_twice(
        [&](const std::vector<Tensor>& v) { return gru.forward(v[0], v[1]).output; },
        with_parameters(gru, {x, input({2, 3, 3}, 10)}));  // x is (N 3, L 2, 2) here
  }
  SECTION("LSTM") {
    nn::LSTM lstm(o, g, float64);
    check_gradients_twice(
        [&](const std::vector<Tensor>& v) {
          nn::RNNOutput out = lstm.forward(v[0], v[1], v[2]);
          return concat({reshape(out.output, {-1}), reshape(out.h_n, {-1}), reshape(out.c_n, {-1})},
                        0);
        },
        with_parameters(lstm, {x, h0, c0}));
  }
}

TEST_CASE("recurrent layers have PyTorch's parameter names, shapes and initial range",
          "[nn][recurrent]") {
  Generator g(11);
  nn::LSTM lstm(nn::RNNOptions(5, 8).num_layers(2), g);
  const nn::NamedTensors params = lstm.named_parameters();
  const std::vector<std::pair<std::string, Shape>> expected = {
      {"weight_ih_l0", {32, 5}}, {"weight_hh_l0", {32, 8}}, {"bias_ih_l0", {32}},
      {"bias_hh_l0", {32}},      {"weight_ih_l1", {32, 8}}, {"weight_hh_l1", {32, 8}},
      {"bias_ih_l1", {32}},      {"bias_hh_l1", {32}}};
  REQUIRE(params.size() == expected.size());
  const double bound = 1 / std::sqrt(8.0);
  for (std::size_t i = 0; i < params.size(); ++i) {
    CHECK(params[i].first == expected[i].first);
    CHECK(params[i].second.shape() == expected[i].second);
    double lo = 1, hi = -1;
    for (double v : testing::values(params[i].second)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    CHECK(lo >= -bound);
    CHECK(hi <= bound);
    CHECK(hi - lo > bound);  // spread over the range, not constant
  }
  nn::GRUCell gru(4, 6, true, g);
  CHECK(gru.weight_ih.shape() == Shape{18, 4});
  CHECK(gru.weight_hh.shape() == Shape{18, 6});
  nn::RNNCell rnn(4, 6, true, "tanh", g);
  CHECK(rnn.weight_ih.shape() == Shape{6, 4});
}

TEST_CASE("a sequence layer's output is the cell unrolled, final states included",
          "[nn][recurrent]") {
  Generator g(13);
  nn::LSTM lstm(nn::RNNOptions(3, 4), g, float64);
  nn::LSTMCell cell(3, 4, true, g, float64);
  nn::NamedTensors state;
  for (const auto& [name, t] : lstm.named_parameters()) {
    state.emplace_back(name.substr(0, name.size() - 3), t.detach());  // weight_ih_l0 -> weight_ih
  }
  cell.load_state_dict(state);
  const Tensor x = input({5, 2, 3}, 14);
  const nn::RNNOutput out = lstm.forward(x, Tensor());
  nn::LSTMState s;
  for (std::size_t t = 0; t < 5; ++t) {
    s = cell.forward(select(x, 0, t), s);
    const auto a = testing::values(select(out.output, 0, t)), b = testing::values(s.h);
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == Approx(b[i]).epsilon(1e-12));
  }
  const auto hn = testing::values(out.h_n), cn = testing::values(out.c_n);
  const auto h = testing::values(s.h), c = testing::values(s.c);
  for (std::size_t i = 0; i < h.size(); ++i) {
    CHECK(hn[i] == Approx(h[i]).epsilon(1e-12));
    CHECK(cn[i] == Approx(c[i]).epsilon(1e-12));
  }
}

TEST_CASE("batch_first and unbatched inputs give the same values as time-first batches",
          "[nn][recurrent]") {
  Generator g(17);
  nn::GRU time_first(nn::RNNOptions(3, 4), g, float64);
  nn::GRU batch_first(nn::RNNOptions(3, 4).batch_first(true), g, float64);
  batch_first.load_state_dict(time_first.state_dict());
  const Tensor x = input({6, 2, 3}, 18);  // (L, N, in)
  const Tensor a = time_first.forward(x);
  const Tensor b = transpose(batch_first.forward(transpose(x, 0, 1)), 0, 1);
  const Tensor one = time_first.forward(select(x, 1, 1));  // sequence 1 alone, unbatched
  const auto avals = testing::values(a), bvals = testing::values(b);
  for (std::size_t i = 0; i < avals.size(); ++i) CHECK(bvals[i] == Approx(avals[i]).epsilon(1e-12));
  CHECK(one.shape() == Shape{6, 4});
  const auto av = testing::values(select(a, 1, 1)), ov = testing::values(one);
  for (std::size_t i = 0; i < ov.size(); ++i) CHECK(ov[i] == Approx(av[i]).epsilon(1e-12));
}

TEST_CASE("dropout acts between layers in training mode only", "[nn][recurrent]") {
  Generator g(19);
  nn::RNN rnn(nn::RNNOptions(3, 4).num_layers(2).dropout(0.5), g, float64);
  const Tensor x = input({4, 2, 3}, 20);
  rnn.eval();
  const auto a = testing::values(rnn.forward(x)), b = testing::values(rnn.forward(x));
  CHECK(a == b);
  rnn.train();
  const auto c = testing::values(rnn.forward(x));
  CHECK(c != a);
}

TEST_CASE("recurrent modules print like their construction", "[nn][recurrent]") {
  CHECK(nn::LSTM(nn::RNNOptions(10, 20).num_layers(2).batch_first(true).dropout(0.5)).repr() ==
        "LSTM(10, 20, num_layers=2, batch_first=true, dropout=0.5)");
  CHECK(nn::GRU(3, 4).repr() == "GRU(3, 4)");
  CHECK(nn::RNN(nn::RNNOptions(3, 4).nonlinearity("relu")).repr() ==
        "RNN(3, 4, nonlinearity=relu)");
  CHECK(nn::LSTMCell(3, 4, false).repr() == "LSTMCell(3, 4, bias=false)");
  CHECK(nn::RNNCell(3, 4).repr() == "RNNCell(3, 4)");
}

TEST_CASE("a 10,000-step LSTM sequence runs forward and backward without recursion",
          "[nn][recurrent][long]") {
  // Backward walks the unrolled graph with the engine's explicit stack, and the graph is freed
  // node by node: a recursive walk or destructor would overflow the stack at this depth.
  Generator g(23);
  nn::LSTM lstm(nn::RNNOptions(1, 2), g, float64);
  const std::size_t steps = 10000;
  Tensor x = full({steps, 1, 1}, 0.1, float64);
  nn::RNNOutput out = lstm.forward(x, Tensor());
  CHECK(out.output.shape() == Shape{steps, 1, 2});
  sum(out.h_n).backward();
  for (const Tensor& p : lstm.parameters()) {
    REQUIRE(p.grad().defined());
    for (double v : testing::values(p.grad())) CHECK(std::isfinite(v));
  }
}

TEST_CASE("linear_steps passes gradcheck and gradgradcheck and equals per-step linear",
          "[nn][recurrent][gradcheck]") {
  const Tensor w = input({5, 3}, 31), a = input({5}, 32), b = input({5}, 33);
  for (std::size_t steps : {1, 3}) {
    for (std::size_t n : {1, 2}) {
      std::vector<Tensor> xs;
      for (std::size_t t = 0; t < steps; ++t) xs.push_back(input({n, 3}, 40 + t));
      auto f = [steps](const std::vector<Tensor>& v) {
        const std::vector<Tensor> xs(v.begin(), v.begin() + static_cast<long>(steps));
        const std::size_t k = steps;
        const Tensor bias_b = v.size() > k + 2 ? v[k + 2] : Tensor();
        return concat(linear_steps(xs, v[k], v[k + 1], bias_b), 0);
      };
      std::vector<Tensor> with_both = xs, with_one = xs;
      with_both.insert(with_both.end(), {w, a, b});
      with_one.insert(with_one.end(), {w, a});
      check_gradients_twice(f, with_both);
      check_gradients_twice(f, with_one);
      const std::vector<Tensor> ys = linear_steps(xs, w, a, b);
      for (std::size_t t = 0; t < steps; ++t) {
        const std::vector<double> got = testing::values(ys[t]);
        const std::vector<double> want = testing::values(linear(xs[t], w, a + b));
        REQUIRE(got.size() == want.size());
        for (std::size_t i = 0; i < got.size(); ++i)
          CHECK(got[i] == Approx(want[i]).epsilon(1e-12));
      }
    }
  }
  CHECK_THROWS_WITH(linear_steps({input({2, 3}, 1), input({3, 3}, 2)}, w, a, b),
                    "linear_steps: step 1 is (3, 3), step 0 is (2, 3)");
  CHECK_THROWS_WITH(
      linear_steps({input({2, 4}, 1)}, w, a, b),
      "linear_steps: step 0 is (2, 4), weight is (5, 3); expected (N, in) and (out, in)");
}

TEST_CASE(
    "lstm_cell_state and lstm_cell_hidden pass gradcheck and gradgradcheck and equal the "
    "composition of gate ops",
    "[nn][recurrent][gradcheck]") {
  for (std::size_t n : {1, 3}) {
    for (std::size_t h : {1, 2}) {
      const Tensor gates = input({n, 4 * h}, 50 + n, -2.0, 2.0), c = input({n, h}, 60 + h);
      check_gradients_twice(
          [](const std::vector<Tensor>& v) { return lstm_cell_state(v[0], v[1]); }, {gates, c});
      check_gradients_twice(
          [](const std::vector<Tensor>& v) { return lstm_cell_hidden(v[0], v[1]); }, {gates, c});
      const std::vector<Tensor> g = chunk(gates, 4, 1);
      const Tensor c_new = sigmoid(g[1]) * c + sigmoid(g[0]) * tanh(g[2]);
      const Tensor h_new = sigmoid(g[3]) * tanh(c_new);
      const std::vector<std::pair<Tensor, Tensor>> pairs{{lstm_cell_state(gates, c), c_new},
                                                         {lstm_cell_hidden(gates, c_new), h_new}};
      for (const auto& [got, want] : pairs) {
        const std::vector<double> a = testing::values(got), b = testing::values(want);
        REQUIRE(a.size() == b.size());
        for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == Approx(b[i]).epsilon(1e-14));
      }
    }
  }
  SECTION("float32 values within a few ulp of the composition") {
    Generator gen(70);
    const Tensor gates = uniform({4, 32}, -6.0, 6.0, gen), c = uniform({4, 8}, -2.0, 2.0, gen);
    const std::vector<Tensor> g = chunk(gates, 4, 1);
    const Tensor c_new = sigmoid(g[1]) * c + sigmoid(g[0]) * tanh(g[2]);
    const std::vector<double> a = testing::values(lstm_cell_state(gates, c)),
                              b = testing::values(c_new);
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == Approx(b[i]).margin(1e-6));
    const std::vector<double> ha = testing::values(lstm_cell_hidden(gates, c_new)),
                              hb = testing::values(sigmoid(g[3]) * tanh(c_new));
    for (std::size_t i = 0; i < ha.size(); ++i) CHECK(ha[i] == Approx(hb[i]).margin(1e-6));
  }
  CHECK_THROWS_WITH(lstm_cell_state(input({2, 8}, 1), input({2, 3}, 2)),
                    "lstm_cell_state: gates are (2, 8) and the state (2, 3); expected (N, 4 "
                    "hidden) and (N, hidden)");
}

// The sequence modules against PyTorch on the same weights (scripts/make_torch_reference_seq.py):
// outputs, gradients of every input and parameter, Hessian-vector products of the cells, and a
// torch state_dict saved with numpy.savez loaded by nn::load.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gradient_checks.hpp"
#include "nn/attention.hpp"
#include "nn/embedding.hpp"
#include "nn/recurrent.hpp"
#include "nn/serialize.hpp"
#include "torch_reference.hpp"

using namespace xgrad;
using namespace xgrad::torch_reference;

namespace {

const char* const kFile = "torch_reference_seq.txt";

Tensor flat(const std::vector<Tensor>& parts) {
  std::vector<Tensor> pieces;
  for (const Tensor& p : parts) pieces.push_back(reshape(p, {-1}));
  return concat(pieces, 0);
}

// A module built for a case, and how to run it on the case's data inputs (output flattened and
// concatenated as the script does).
struct Built {
  std::shared_ptr<nn::Module> module;
  std::function<Tensor(const std::vector<Tensor>&)> run;
};

Built build(const ReferenceCase& c) {
  Generator g(1);
  const std::string op = is_second_order(c) ? c.op.substr(4) : c.op;
  if (op == "rnn_tanh_cell" || op == "rnn_relu_cell") {
    auto m = std::make_shared<nn::RNNCell>(4, 5, true, param(c, "nonlinearity").at(0), g, float64);
    return {m, [m](const std::vector<Tensor>& d) { return flat({m->forward(d[0], d[1])}); }};
  }
  if (op == "gru_cell") {
    auto m = std::make_shared<nn::GRUCell>(4, 5, true, g, float64);
    return {m, [m](const std::vector<Tensor>& d) { return flat({m->forward(d[0], d[1])}); }};
  }
  if (op == "lstm_cell") {
    auto m = std::make_shared<nn::LSTMCell>(4, 5, true, g, float64);
    return {m, [m](const std::vector<Tensor>& d) {
              nn::LSTMState s = m->forward(d[0], {d[1], d[2]});
              return flat({s.h, s.c});
            }};
  }
  if (op == "rnn_tanh_seq" || op == "gru_seq" || op == "lstm_seq") {
    const nn::RNNOptions o =
        nn::RNNOptions(3, 4).num_layers(2).batch_first(integer_param(c, "batch_first") != 0);
    std::shared_ptr<nn::RNNBase> m;
    if (op == "rnn_tanh_seq") m = std::make_shared<nn::RNN>(o, g, float64);
    if (op == "gru_seq") m = std::make_shared<nn::GRU>(o, g, float64);
    if (op == "lstm_seq") m = std::make_shared<nn::LSTM>(o, g, float64);
    return {m, [m](const std::vector<Tensor>& d) {
              nn::RNNOutput out = m->forward(d[0], d[1], d.size() > 2 ? d[2] : Tensor());
              return out.c_n.defined() ? flat({out.output, out.h_n, out.c_n})
                                       : flat({out.output, out.h_n});
            }};
  }
  if (op == "embedding") {
    auto m = std::make_shared<nn::Embedding>(6, 3, std::size_t(2), std::nullopt, 2.0, g, float64);
    const std::vector<std::size_t> ids = indices_param(c, "ids");
    return {m, [m, ids](const std::vector<Tensor>&) { return reshape(m->forward(ids), {-1}); }};
  }
  if (op == "mha") {
    const std::string variant = param(c, "variant").at(0);
    auto m = std::make_shared<nn::MultiheadAttention>(4, 2, 0.0, true, variant == "batch_first", g,
                                                      float64);
    return {m, [m, variant](const std::vector<Tensor>& d) {
              Tensor padding, mask;
              if (variant == "key_padding") {
                const double inf = std::numeric_limits<double>::infinity();
                padding = Tensor(xt::xarray<double>{{0.0, 0.0, -inf}, {0.0, 0.0, 0.0}});
              }
              if (variant == "causal") mask = nn::generate_square_subsequent_mask(3, float64);
              nn::AttentionOutput out = m->forward(d[0], d[1], d[2], padding, true, mask);
              return flat({out.output, out.weights});
            }};
  }
  throw std::runtime_error("no module for op " + c.op);
}

Tensor u_weights(const Shape& shape) {
  auto u = xt::xarray<double>::from_shape(shape);
  for (std::size_t i = 0; i < u.size(); ++i) u.data()[i] = 0.5 + 0.25 * std::sin(double(i));
  return Tensor(std::move(u));
}

void check_module_case(const ReferenceCase& c) {
  INFO("case " << c.name << " (op " << c.op << ", line " << c.line << ")");
  Built b = build(c);
  std::set<std::string> parameter_names;
  nn::NamedTensors state;
  for (const auto& [name, p] : b.module->named_parameters()) parameter_names.insert(name);
  std::vector<Tensor> data;
  std::vector<std::pair<std::string, Tensor>> wanted;  // in the file's order
  for (const ReferenceTensor& t : c.inputs) {
    if (parameter_names.count(t.name)) {
      state.emplace_back(t.name, to_tensor(t).detach());
      continue;
    }
    data.push_back(to_tensor(t));
    if (t.requires_grad) wanted.emplace_back(t.name, data.back());
  }
  b.module->load_state_dict(state);
  for (const auto& [name, p] : b.module->named_parameters()) wanted.emplace_back(name, p);
  std::vector<Tensor> wrt;
  for (const auto& w : wanted) wrt.push_back(w.second);

  Tensor output = b.run(data);
  const Tensor grad_output = to_tensor(c.grad_output);
  std::vector<Tensor> grads;
  if (is_second_order(c)) {
    const Tensor h = b.run(data);  // the cell's h' (the first part for LSTM: take h only)
    const Shape h_shape = data[1].shape();
    const Tensor h_only = slice(reshape(h, {-1}), 0, 0, data[1].numel());
    output = reshape(
        autograd::grad({sum(h_only * reshape(u_weights(h_shape), {-1}))}, {data[0]}, {}, true, true)
            .at(0),
        {-1});  // flattened, as the script stores it
    check_close("output", output, c.output);
    grads = autograd::grad({sum(output * grad_output)}, wrt);
  } else {
    check_close("output", output, c.output);
    grads = autograd::grad({output}, wrt, {grad_output});
  }
  REQUIRE(grads.size() == c.grads.size());
  for (std::size_t i = 0; i < grads.size(); ++i) {
    INFO("gradient of " << wanted[i].first);
    const ReferenceTensor* expected = nullptr;
    for (const ReferenceTensor& g : c.grads) {
      if (g.name == wanted[i].first) expected = &g;
    }
    REQUIRE(expected != nullptr);
    check_close("grad of " + expected->name, grads[i], *expected);
  }
}

void check_op(const std::string& op) {
  bool found = false;
  for (const ReferenceCase& c : reference_cases(kFile)) {
    if (c.op != op) continue;
    found = true;
    SECTION(c.name) {
      check_module_case(c);
    }
  }
  INFO("op " << op << " has no case in " << kFile << " " << regenerate_hint);
  CHECK(found);
}

}  // namespace

TEST_CASE("recurrent cells match PyTorch in value and gradient", "[nn][recurrent][torch]") {
  for (const char* op : {"rnn_tanh_cell", "rnn_relu_cell", "gru_cell", "lstm_cell"}) check_op(op);
}

TEST_CASE("recurrent cells match PyTorch's Hessian-vector products", "[nn][recurrent][torch]") {
  for (const char* op : {"hvp_rnn_tanh_cell", "hvp_gru_cell", "hvp_lstm_cell"}) check_op(op);
}

TEST_CASE("RNN, GRU and LSTM layers match PyTorch over a sequence, both layouts",
          "[nn][recurrent][torch]") {
  for (const char* op : {"rnn_tanh_seq", "gru_seq", "lstm_seq"}) check_op(op);
}

TEST_CASE("Embedding matches PyTorch, padding row included", "[nn][embedding][torch]") {
  check_op("embedding");
}

TEST_CASE("MultiheadAttention matches PyTorch with padding and causal masks",
          "[nn][attention][torch]") {
  check_op("mha");
}

TEST_CASE("a torch LSTM state_dict saved with numpy loads into nn::LSTM and gives its outputs",
          "[nn][recurrent][torch]") {
  const std::string dir = std::string(XGRAD_TEST_DATA_DIR) + "/";
  nn::LSTM lstm(nn::RNNOptions(3, 4).num_layers(2), default_generator(), float64);
  nn::load(lstm, dir + "seq_lstm_state.npz");
  nn::NamedTensors expected = nn::load(dir + "seq_lstm_expected.npz");
  auto get = [&](const std::string& name) {
    for (const auto& [n, t] : expected) {
      if (n == name) return t;
    }
    throw std::runtime_error("no " + name);
  };
  nn::RNNOutput out = lstm.forward(get("input"), Tensor());
  const std::pair<const char*, Tensor> parts[] = {
      {"output", out.output}, {"h_n", out.h_n}, {"c_n", out.c_n}};
  for (const auto& [name, actual] : parts) {
    INFO(name);
    const Tensor want = get(name);  // torch's float64 outputs (the script sets float64)
    REQUIRE(actual.shape() == want.shape());
    const auto a = testing::values(actual), w = testing::values(want);
    for (std::size_t i = 0; i < a.size(); ++i)
      CHECK(a[i] == Approx(w[i]).epsilon(1e-12).margin(1e-12));
  }
}

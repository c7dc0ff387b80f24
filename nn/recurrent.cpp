// Recurrent cells and layers as compositions of ops: a gemm for the input projection, a gemm per
// step for the recurrent one, gate nonlinearities and elementwise updates. The graph the engine
// records is the unrolled network, so backward through time needs no code of its own.
#include "nn/recurrent.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "autograd/factory.hpp"
#include "autograd/ops.hpp"
#include "autograd/ops/recurrent_cell.hpp"
#include "nn/init.hpp"

namespace xgrad::nn {

namespace {

enum class Mode { rnn_tanh, rnn_relu, gru, lstm };

void check_sizes(const char* name, std::size_t input_size, std::size_t hidden_size) {
  if (input_size == 0 || hidden_size == 0) {
    throw std::invalid_argument(std::string(name) +
                                ": input_size and hidden_size must be positive; got " +
                                std::to_string(input_size) + " and " + std::to_string(hidden_size));
  }
}

// Draws weight (gates * hidden, in), weight_hh (gates * hidden, hidden) and the biases from
// U(-1/sqrt(hidden), 1/sqrt(hidden)), in PyTorch's parameter order.
std::vector<Tensor> make_weights(std::size_t gates, std::size_t in, std::size_t hidden, bool bias,
                                 Generator& generator, Dtype dtype) {
  const double k = 1.0 / std::sqrt(static_cast<double>(hidden));
  std::vector<Tensor> w{zeros({gates * hidden, in}, dtype), zeros({gates * hidden, hidden}, dtype)};
  if (bias) {
    w.push_back(zeros({gates * hidden}, dtype));
    w.push_back(zeros({gates * hidden}, dtype));
  }
  for (Tensor& t : w) init::uniform_(t, -k, k, generator);
  if (!bias) w.resize(4);
  return w;
}

// One step from gx = x W_ih^T + b_ih (N, gates * hidden) and the state h, c (N, hidden).
LSTMState step(Mode mode, const Tensor& gx, const LSTMState& s, const Tensor& w_hh,
               const Tensor& b_hh) {
  // RNN and LSTM sum the two projections: with b_hh undefined, gx holds both biases already and
  // the gemm accumulates h W_hh^T onto it (linear with gx as its (N, gates * hidden) bias).
  auto summed = [&] {
    return b_hh.defined() ? gx + linear(s.h, w_hh, b_hh) : linear(s.h, w_hh, gx);
  };
  switch (mode) {
    case Mode::rnn_tanh:
      return {tanh(summed()), Tensor()};
    case Mode::rnn_relu:
      return {relu(summed()), Tensor()};
    case Mode::gru: {
      const Tensor gh = linear(s.h, w_hh, b_hh);  // (N, 3 hidden) = h W_hh^T + b_hh
      // The gates' columns: [r | z | n], each `hidden` wide.
      const std::vector<Tensor> x = chunk(gx, 3, 1), h = chunk(gh, 3, 1);
      const Tensor r = sigmoid(x[0] + h[0]);
      const Tensor z = sigmoid(x[1] + h[1]);
      const Tensor n = tanh(x[2] + r * h[2]);
      return {n + z * (s.h - n), Tensor()};  // (1 - z) n + z h
    }
    case Mode::lstm: {
      const Tensor gates = summed();  // (N, 4 hidden): [i | f | g | o]
      const Tensor c = lstm_cell_state(gates, s.c);
      return {lstm_cell_hidden(gates, c), c};
    }
  }
  return {};
}

void check_dtype(const std::string& name, const char* what, const Tensor& t, Dtype dtype) {
  if (t.dtype() != dtype) {
    throw std::invalid_argument(name + ": " + what + " is " + dtype_name(t.dtype()) +
                                ", layer is " + dtype_name(dtype) + " (convert one with to())");
  }
}

void check_state(const std::string& name, const char* what, const Tensor& t, const Shape& expected,
                 Dtype dtype) {
  if (!t.has_shape(expected)) {
    throw std::invalid_argument(name + ": " + what + " has shape " + format_shape(t.shape()) +
                                ", expected " + format_shape(expected));
  }
  check_dtype(name, what, t, dtype);
}

// The L blocks of `n` rows of xp (L n, F), in order. Split in halves level by level rather than
// into L pieces at once: each split's backward places its piece's gradient in a zero tensor of its
// parent's shape, so L pieces cut from the whole would cost O(L^2) in backward, halves O(L log L).
std::vector<Tensor> unbind_rows(const Tensor& xp, std::size_t length, std::size_t n) {
  std::vector<Tensor> steps(length);
  struct Block {
    Tensor rows;
    std::size_t first, count;
  };
  std::vector<Block> work{{xp, 0, length}};
  while (!work.empty()) {
    Block b = std::move(work.back());
    work.pop_back();
    if (b.count == 1) {
      steps[b.first] = std::move(b.rows);
      continue;
    }
    const std::size_t half = b.count / 2;
    const std::vector<Tensor> parts =
        split(b.rows, {static_cast<long>(half * n), static_cast<long>((b.count - half) * n)}, 0);
    work.push_back({parts[0], b.first, half});
    work.push_back({parts[1], b.first + half, b.count - half});
  }
  return steps;
}

// A cell's step on input (N, in) or (in,), with states of the same batch shape.
LSTMState run_cell(const char* name, Mode mode, const Tensor& input, LSTMState state,
                   const std::vector<Tensor>& w, std::size_t input_size, std::size_t hidden) {
  if (!input.defined()) throw std::invalid_argument(std::string(name) + ": input is undefined");
  const Shape shape = input.shape();
  if (shape.empty() || shape.size() > 2 || shape.back() != input_size) {
    throw std::invalid_argument(std::string(name) + ": input of shape " + format_shape(shape) +
                                ", expected (N, " + std::to_string(input_size) + ") or (" +
                                std::to_string(input_size) + ",)");
  }
  check_dtype(name, "input", input, w[0].dtype());
  const bool batched = shape.size() == 2;
  const std::size_t n = batched ? shape[0] : 1;
  const Shape state_shape = batched ? Shape{n, hidden} : Shape{hidden};
  const char* names[] = {"hx", "cx"};
  Tensor* parts[] = {&state.h, &state.c};
  for (int k = 0; k < (mode == Mode::lstm ? 2 : 1); ++k) {
    Tensor& t = *parts[k];
    if (!t.defined()) {
      t = zeros({n, hidden}, input.dtype());
      continue;
    }
    check_state(name, names[k], t, state_shape, input.dtype());
    if (!batched) t = reshape(t, Shape{1, hidden});
  }
  const Tensor x = batched ? input : reshape(input, Shape{1, input_size});
  LSTMState out = step(mode, linear(x, w[0], w[2]), state, w[1], w[3]);
  if (!batched) {
    out.h = reshape(out.h, Shape{hidden});
    if (out.c.defined()) out.c = reshape(out.c, Shape{hidden});
  }
  return out;
}

Mode rnn_mode(const char* name, const std::string& nonlinearity) {
  if (nonlinearity == "tanh") return Mode::rnn_tanh;
  if (nonlinearity == "relu") return Mode::rnn_relu;
  throw std::invalid_argument(std::string(name) +
                              ": nonlinearity must be \"tanh\" or \"relu\", got \"" + nonlinearity +
                              "\"");
}

std::string cell_repr(std::size_t in, std::size_t hidden, bool bias) {
  std::string s = std::to_string(in) + ", " + std::to_string(hidden);
  if (!bias) s += ", bias=false";
  return s;
}

}  // namespace

// ---- cells ----

RNNCell::RNNCell(std::size_t input_size, std::size_t hidden_size, bool bias,
                 const std::string& nonlinearity, Generator& generator, Dtype dtype)
    : input_size_(input_size),
      hidden_size_(hidden_size),
      relu_(rnn_mode("RNNCell", nonlinearity) == Mode::rnn_relu) {
  check_sizes("RNNCell", input_size, hidden_size);
  auto w = make_weights(1, input_size, hidden_size, bias, generator, dtype);
  weight_ih = register_parameter("weight_ih", w[0]);
  weight_hh = register_parameter("weight_hh", w[1]);
  if (bias) {
    bias_ih = register_parameter("bias_ih", w[2]);
    bias_hh = register_parameter("bias_hh", w[3]);
  }
}

Tensor RNNCell::forward(const Tensor& input, const Tensor& hx) {
  const Mode mode = relu_ ? Mode::rnn_relu : Mode::rnn_tanh;
  return run_cell("RNNCell", mode, input, {hx, Tensor()}, {weight_ih, weight_hh, bias_ih, bias_hh},
                  input_size_, hidden_size_)
      .h;
}

std::string RNNCell::extra_repr() const {
  return cell_repr(input_size_, hidden_size_, bias_ih.defined()) +
         (relu_ ? ", nonlinearity=relu" : "");
}

GRUCell::GRUCell(std::size_t input_size, std::size_t hidden_size, bool bias, Generator& generator,
                 Dtype dtype)
    : input_size_(input_size), hidden_size_(hidden_size) {
  check_sizes("GRUCell", input_size, hidden_size);
  auto w = make_weights(3, input_size, hidden_size, bias, generator, dtype);
  weight_ih = register_parameter("weight_ih", w[0]);
  weight_hh = register_parameter("weight_hh", w[1]);
  if (bias) {
    bias_ih = register_parameter("bias_ih", w[2]);
    bias_hh = register_parameter("bias_hh", w[3]);
  }
}

Tensor GRUCell::forward(const Tensor& input, const Tensor& hx) {
  return run_cell("GRUCell", Mode::gru, input, {hx, Tensor()},
                  {weight_ih, weight_hh, bias_ih, bias_hh}, input_size_, hidden_size_)
      .h;
}

std::string GRUCell::extra_repr() const {
  return cell_repr(input_size_, hidden_size_, bias_ih.defined());
}

LSTMCell::LSTMCell(std::size_t input_size, std::size_t hidden_size, bool bias, Generator& generator,
                   Dtype dtype)
    : input_size_(input_size), hidden_size_(hidden_size) {
  check_sizes("LSTMCell", input_size, hidden_size);
  auto w = make_weights(4, input_size, hidden_size, bias, generator, dtype);
  weight_ih = register_parameter("weight_ih", w[0]);
  weight_hh = register_parameter("weight_hh", w[1]);
  if (bias) {
    bias_ih = register_parameter("bias_ih", w[2]);
    bias_hh = register_parameter("bias_hh", w[3]);
  }
}

LSTMState LSTMCell::forward(const Tensor& input, const LSTMState& state) {
  if (state.h.defined() != state.c.defined()) {
    throw std::invalid_argument("LSTMCell: pass both h and c of the state, or neither");
  }
  return run_cell("LSTMCell", Mode::lstm, input, state, {weight_ih, weight_hh, bias_ih, bias_hh},
                  input_size_, hidden_size_);
}

std::string LSTMCell::extra_repr() const {
  return cell_repr(input_size_, hidden_size_, bias_ih.defined());
}

// ---- sequence layers ----

RNNBase::RNNBase(const char* name, std::size_t gates, const RNNOptions& options,
                 Generator& generator, Dtype dtype)
    : name_(name), gates_(gates), options_(options), dropout_(options.dropout_, generator) {
  check_sizes(name, options.input_size_, options.hidden_size_);
  if (options.num_layers_ == 0) {
    throw std::invalid_argument(name_ + ": num_layers must be at least 1");
  }
  if (!(options.dropout_ >= 0 && options.dropout_ <= 1)) {
    throw std::invalid_argument(name_ + ": dropout must be in [0, 1], got " +
                                std::to_string(options.dropout_));
  }
  for (std::size_t k = 0; k < options.num_layers_; ++k) {
    const std::size_t in = k == 0 ? options.input_size_ : options.hidden_size_;
    auto w = make_weights(gates, in, options.hidden_size_, options.bias_, generator, dtype);
    const std::string l = "_l" + std::to_string(k);
    w[0] = register_parameter("weight_ih" + l, w[0]);
    w[1] = register_parameter("weight_hh" + l, w[1]);
    if (options.bias_) {
      w[2] = register_parameter("bias_ih" + l, w[2]);
      w[3] = register_parameter("bias_hh" + l, w[3]);
    }
    layers_.push_back(w);
  }
}

void RNNBase::train(bool on) {
  Module::train(on);
  dropout_.train(on);
}

RNNOutput RNNBase::forward(const Tensor& input, const Tensor& h0, const Tensor& c0) {
  const RNNOptions& o = options_;
  const std::size_t hidden = o.hidden_size_, layers = o.num_layers_;
  const Mode mode = gates_ == 4   ? Mode::lstm
                    : gates_ == 3 ? Mode::gru
                                  : rnn_mode(name_.c_str(), o.nonlinearity_);
  if (!input.defined()) throw std::invalid_argument(name_ + ": input is undefined");
  const Shape shape = input.shape();
  const std::string layout = o.batch_first_ ? "(N, L, " : "(L, N, ";
  if ((shape.size() != 2 && shape.size() != 3) || shape.back() != o.input_size_) {
    throw std::invalid_argument(name_ + ": input of shape " + format_shape(shape) + ", expected " +
                                layout + std::to_string(o.input_size_) + ") or (L, " +
                                std::to_string(o.input_size_) + ")");
  }
  const Dtype dtype = layers_[0][0].dtype();
  check_dtype(name_, "input", input, dtype);
  const bool batched = shape.size() == 3;
  const bool time_second = batched && o.batch_first_;
  const std::size_t length = time_second ? shape[1] : shape[0];
  const std::size_t n = !batched ? 1 : time_second ? shape[0] : shape[1];
  if (length == 0) throw std::invalid_argument(name_ + ": the sequence is empty (length 0)");
  if (n == 0) throw std::invalid_argument(name_ + ": the batch is empty (0 sequences)");

  // x as (L, N, in), time first.
  Tensor x = !batched      ? reshape(input, Shape{length, 1, o.input_size_})
             : time_second ? transpose(input, 0, 1)
                           : input;
  const Shape state_shape = batched ? Shape{layers, n, hidden} : Shape{layers, hidden};
  const Tensor* given[] = {&h0, &c0};
  const char* names[] = {"h0", "c0"};
  for (int k = 0; k < 2; ++k) {
    if (given[k]->defined()) {
      if (k == 1 && mode != Mode::lstm) {
        throw std::invalid_argument(name_ + ": c0 is LSTM's; this layer has no cell state");
      }
      check_state(name_, names[k], *given[k], state_shape, dtype);
    }
  }
  if (mode == Mode::lstm && h0.defined() != c0.defined()) {
    throw std::invalid_argument(name_ + ": pass both h0 and c0, or neither");
  }

  std::vector<Tensor> h_n, c_n, xs;
  for (std::size_t k = 0; k < layers; ++k) {
    const std::vector<Tensor>& w = layers_[k];
    const std::size_t in = x.size(2);
    LSTMState s;
    for (int j = 0; j < 2; ++j) {
      const Tensor& init = *given[j];
      Tensor& dst = j == 0 ? s.h : s.c;
      if (j == 1 && mode != Mode::lstm) break;
      dst = init.defined() ? reshape(select(init, 0, k), Shape{n, hidden})
                           : zeros({n, hidden}, dtype);
    }
    // The steps' inputs (N, in): the previous layer's outputs as they are, or cut from x.
    if (xs.empty()) xs = unbind_rows(reshape(x, Shape{length * n, in}), length, n);
    // gx_t[N, gates * hidden] = x_t @ W_ih^T + b_ih (+ b_hh but for GRU, whose b_hn is inside
    // r * (...)): the whole sequence in one gemm, one graph node per step.
    const bool gru = mode == Mode::gru;
    const std::vector<Tensor> gxs = linear_steps(xs, w[0], w[2], gru ? Tensor() : w[3]);
    std::vector<Tensor> outputs;
    outputs.reserve(length);
    for (const Tensor& gx : gxs) {
      s = step(mode, gx, s, w[1], gru ? w[3] : Tensor());
      outputs.push_back(s.h);
    }
    x = stack(outputs, 0);  // (L, N, hidden)
    xs.clear();
    if (k + 1 < layers) {
      const bool drops = dropout_.is_training() && options_.dropout_ > 0;
      if (drops)
        x = dropout_.forward(x);
      else
        xs = outputs;
    }
    h_n.push_back(s.h);
    if (mode == Mode::lstm) c_n.push_back(s.c);
  }
  RNNOutput out;
  out.output = !batched ? reshape(x, Shape{length, hidden}) : time_second ? transpose(x, 0, 1) : x;
  out.h_n = stack(h_n, 0);  // (layers, N, hidden)
  if (!batched) out.h_n = reshape(out.h_n, Shape{layers, hidden});
  if (mode == Mode::lstm) {
    out.c_n = stack(c_n, 0);
    if (!batched) out.c_n = reshape(out.c_n, Shape{layers, hidden});
  }
  return out;
}

std::string RNNBase::extra_repr() const {
  const RNNOptions& o = options_;
  std::ostringstream s;
  s << o.input_size_ << ", " << o.hidden_size_;
  if (o.num_layers_ != 1) s << ", num_layers=" << o.num_layers_;
  if (gates_ == 1 && o.nonlinearity_ != "tanh") s << ", nonlinearity=" << o.nonlinearity_;
  if (!o.bias_) s << ", bias=false";
  if (o.batch_first_) s << ", batch_first=true";
  if (o.dropout_ != 0) s << ", dropout=" << o.dropout_;
  return s.str();
}

RNN::RNN(const RNNOptions& options, Generator& generator, Dtype dtype)
    : RNNBase("RNN", 1, options, generator, dtype) {
  rnn_mode("RNN", options.nonlinearity_);
}

GRU::GRU(const RNNOptions& options, Generator& generator, Dtype dtype)
    : RNNBase("GRU", 3, options, generator, dtype) {}

LSTM::LSTM(const RNNOptions& options, Generator& generator, Dtype dtype)
    : RNNBase("LSTM", 4, options, generator, dtype) {}

}  // namespace xgrad::nn

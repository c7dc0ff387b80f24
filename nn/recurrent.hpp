// Recurrent layers with PyTorch's names, parameters, shapes, initialisation and gate orders: the
// cells RNNCell, GRUCell, LSTMCell (one time step) and the sequence layers RNN, GRU, LSTM (stacked
// layers over a whole sequence). Everything is composed of differentiable ops; backpropagation
// through time is the engine's.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "autograd/random.hpp"
#include "nn/dropout.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

/// The hidden and cell state of an LSTM, as PyTorch's (h, c) tuple.
struct LSTMState {
  Tensor h;
  Tensor c;
};

/// h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu), as torch.nn.RNNCell. Parameters
/// weight_ih (hidden, input), weight_hh (hidden, hidden), bias_ih, bias_hh (hidden,), all drawn
/// from U(-1/sqrt(hidden), 1/sqrt(hidden)).
class RNNCell : public Module {
 public:
  /// nonlinearity is "tanh" or "relu". Throws std::invalid_argument for zero sizes or another
  /// nonlinearity.
  RNNCell(std::size_t input_size, std::size_t hidden_size, bool bias = true,
          const std::string& nonlinearity = "tanh", Generator& generator = default_generator(),
          Dtype dtype = float32);
  /// input (N, input_size) or (input_size,); hx of shape (N, hidden) or (hidden,), zeros when
  /// undefined. Returns h' of hx's shape. Throws std::invalid_argument naming "RNNCell" for
  /// wrong shapes or dtypes.
  Tensor forward(const Tensor& input, const Tensor& hx);
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  std::string extra_repr() const override;

  Tensor weight_ih, weight_hh, bias_ih, bias_hh;

 private:
  std::size_t input_size_, hidden_size_;
  bool relu_;
};

/// The gated recurrent unit of torch.nn.GRUCell, gates in PyTorch's order (r, z, n):
///   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
///   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h.
/// weight_ih is (3 hidden, input), weight_hh (3 hidden, hidden).
class GRUCell : public Module {
 public:
  GRUCell(std::size_t input_size, std::size_t hidden_size, bool bias = true,
          Generator& generator = default_generator(), Dtype dtype = float32);
  /// Shapes as RNNCell's; errors name "GRUCell".
  Tensor forward(const Tensor& input, const Tensor& hx);
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  std::string extra_repr() const override;

  Tensor weight_ih, weight_hh, bias_ih, bias_hh;

 private:
  std::size_t input_size_, hidden_size_;
};

/// The long short-term memory cell of torch.nn.LSTMCell, gates in PyTorch's order (i, f, g, o):
///   i, f, o = sigmoid(...), g = tanh(...),  c' = f * c + i * g,  h' = o * tanh(c').
/// weight_ih is (4 hidden, input), weight_hh (4 hidden, hidden).
class LSTMCell : public Module {
 public:
  LSTMCell(std::size_t input_size, std::size_t hidden_size, bool bias = true,
           Generator& generator = default_generator(), Dtype dtype = float32);
  /// input (N, input_size) or (input_size,); state.h and state.c (N, hidden) or (hidden,), zeros
  /// when undefined. Returns (h', c'). Errors name "LSTMCell".
  LSTMState forward(const Tensor& input, const LSTMState& state);
  /// h' alone, from a zero state.
  Tensor forward(const Tensor& input) override { return forward(input, LSTMState{}).h; }
  std::string extra_repr() const override;

  Tensor weight_ih, weight_hh, bias_ih, bias_hh;

 private:
  std::size_t input_size_, hidden_size_;
};

/// Constructor arguments of RNN, GRU and LSTM, with libtorch's chained setters:
/// LSTM(RNNOptions(16, 128).num_layers(2).batch_first(true)).
struct RNNOptions {
  RNNOptions(std::size_t input_size, std::size_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}
  RNNOptions& num_layers(std::size_t n) {
    num_layers_ = n;
    return *this;
  }
  RNNOptions& nonlinearity(const std::string& name) {
    nonlinearity_ = name;
    return *this;
  }
  RNNOptions& bias(bool on) {
    bias_ = on;
    return *this;
  }
  RNNOptions& batch_first(bool on) {
    batch_first_ = on;
    return *this;
  }
  RNNOptions& dropout(double p) {
    dropout_ = p;
    return *this;
  }

  std::size_t input_size_, hidden_size_;
  std::size_t num_layers_ = 1;
  std::string nonlinearity_ = "tanh";  // RNN only: "tanh" or "relu"
  bool bias_ = true;
  bool batch_first_ = false;
  double dropout_ = 0.0;  // applied to every layer's output but the last, in training mode
};

/// What a sequence layer returns: the last layer's hidden state at every step, and every layer's
/// final state. c_n is defined for LSTM only.
struct RNNOutput {
  Tensor output;  // (L, N, hidden), or (N, L, hidden) with batch_first, or (L, hidden) unbatched
  Tensor h_n;     // (num_layers, N, hidden), or (num_layers, hidden) unbatched
  Tensor c_n;     // as h_n
};

/// The shared body of RNN, GRU and LSTM (PyTorch's RNNBase). Layer k owns weight_ih_l<k>
/// (gates * hidden, input or hidden), weight_hh_l<k> (gates * hidden, hidden), bias_ih_l<k> and
/// bias_hh_l<k>. Each layer computes the input projection of the whole sequence in one gemm and the
/// recurrent projection step by step.
class RNNBase : public Module {
 public:
  /// input (L, N, input_size) (batch_first: (N, L, input_size)) or unbatched (L, input_size); h0
  /// and c0 (num_layers, N, hidden) or (num_layers, hidden), zeros when undefined (c0 is LSTM's).
  /// Throws std::invalid_argument naming the layer for an empty sequence and wrong shapes or
  /// dtypes.
  RNNOutput forward(const Tensor& input, const Tensor& h0, const Tensor& c0 = Tensor());
  /// The output sequence from zero states.
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()).output; }
  std::string type_name() const override { return name_; }
  std::string extra_repr() const override;
  void train(bool on = true) override;

  const RNNOptions& options() const { return options_; }
  /// weight_ih_l<k>, weight_hh_l<k>, bias_ih_l<k>, bias_hh_l<k> of layer k (biases undefined
  /// without bias).
  std::vector<Tensor> layer_parameters(std::size_t layer) const { return layers_.at(layer); }

 protected:
  RNNBase(const char* name, std::size_t gates, const RNNOptions& options, Generator& generator,
          Dtype dtype);

 private:
  std::string name_;
  std::size_t gates_;
  RNNOptions options_;
  std::vector<std::vector<Tensor>> layers_;
  Dropout dropout_;
};

/// torch.nn.RNN: stacked Elman layers (tanh or relu).
class RNN : public RNNBase {
 public:
  explicit RNN(const RNNOptions& options, Generator& generator = default_generator(),
               Dtype dtype = float32);
  RNN(std::size_t input_size, std::size_t hidden_size, std::size_t num_layers = 1)
      : RNN(RNNOptions(input_size, hidden_size).num_layers(num_layers)) {}
};

/// torch.nn.GRU: stacked GRU layers (gates r, z, n).
class GRU : public RNNBase {
 public:
  explicit GRU(const RNNOptions& options, Generator& generator = default_generator(),
               Dtype dtype = float32);
  GRU(std::size_t input_size, std::size_t hidden_size, std::size_t num_layers = 1)
      : GRU(RNNOptions(input_size, hidden_size).num_layers(num_layers)) {}
};

/// torch.nn.LSTM: stacked LSTM layers (gates i, f, g, o).
class LSTM : public RNNBase {
 public:
  explicit LSTM(const RNNOptions& options, Generator& generator = default_generator(),
                Dtype dtype = float32);
  LSTM(std::size_t input_size, std::size_t hidden_size, std::size_t num_layers = 1)
      : LSTM(RNNOptions(input_size, hidden_size).num_layers(num_layers)) {}
  /// forward with an initial (h0, c0).
  RNNOutput forward(const Tensor& input, const LSTMState& state) {
    return RNNBase::forward(input, state.h, state.c);
  }
  using RNNBase::forward;
};

}  // namespace xgrad::nn

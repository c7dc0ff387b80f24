// The code of docs/sequence-models.md: LSTM shapes and states, a cell unrolled by hand, an
// embedding + LSTM model trained a few steps, MultiheadAttention with a causal mask, and a module
// whose weights PyTorch can share.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autograd/autograd.hpp"
#include "nn/nn.hpp"

using namespace xgrad;

namespace {

// [snippet: model]
// Next-token logits from a sequence of token ids: embedding, LSTM, linear head.
class TokenModel : public nn::Module {
 public:
  TokenModel(std::size_t vocab, std::size_t dim, std::size_t hidden) {
    embed = register_module("embed", std::make_shared<nn::Embedding>(vocab, dim));
    lstm = register_module(
        "lstm", std::make_shared<nn::LSTM>(nn::RNNOptions(dim, hidden).batch_first(true)));
    head = register_module("head", std::make_shared<nn::Linear>(hidden, vocab));
  }

  Tensor forward(const Tensor& ids) override {  // ids (N, L) -> logits (N, vocab)
    const nn::RNNOutput out = lstm->forward(embed->forward(ids), Tensor());
    return head->forward(select(out.h_n, 0, 0));  // h_n (1, N, hidden): the last step's h
  }

  std::shared_ptr<nn::Embedding> embed;
  std::shared_ptr<nn::LSTM> lstm;
  std::shared_ptr<nn::Linear> head;
};
// [end]

}  // namespace

TEST_CASE("an LSTM returns the output sequence and every layer's final state", "[docs][sequence]") {
  // [snippet: lstm]
  manual_seed(0);
  nn::LSTM lstm(nn::RNNOptions(8, 16).num_layers(2));   // time first: (L, N, features)
  const Tensor x = randn({5, 3, 8});                    // 5 steps, 3 sequences
  const nn::RNNOutput out = lstm.forward(x, Tensor());  // zero initial states
  CHECK(out.output.shape() == Shape{5, 3, 16});         // the last layer at every step
  CHECK(out.h_n.shape() == Shape{2, 3, 16});            // every layer's last h
  CHECK(out.c_n.shape() == Shape{2, 3, 16});            // and its last c
  // Carry the state into the next chunk of the sequence (truncated BPTT: detach it first).
  const nn::RNNOutput next = lstm.forward(randn({5, 3, 8}), {out.h_n.detach(), out.c_n.detach()});
  CHECK(lstm.named_parameters()[0].first == "weight_ih_l0");  // (4 * 16, 8), gates i, f, g, o
  // [end]
  CHECK(next.output.shape() == Shape{5, 3, 16});
}

TEST_CASE("a cell is one step of its layer", "[docs][sequence]") {
  // [snippet: cell]
  manual_seed(1);
  nn::GRUCell cell(4, 6);
  const Tensor x = randn({10, 2, 4});  // (L, N, features)
  Tensor h;                            // undefined: the cell starts from zeros
  for (std::size_t t = 0; t < 10; ++t) h = cell.forward(select(x, 0, t), h);
  CHECK(h.shape() == Shape{2, 6});
  sum(h).backward();  // through all ten steps: the engine's backward through time
  CHECK(cell.weight_hh.grad().shape() == Shape{18, 6});
  // [end]
}

TEST_CASE("an embedding and an LSTM learn to predict the next token", "[docs][sequence]") {
  manual_seed(2);
  // [snippet: train]
  TokenModel model(/*vocab=*/5, /*dim=*/8, /*hidden=*/16);
  // Sequences 0 1 2 3 -> 4, 1 2 3 4 -> 0, ...: the next token is (last + 1) mod 5.
  std::vector<std::int64_t> ids, next;
  for (std::int64_t s = 0; s < 5; ++s) {
    for (std::int64_t t = 0; t < 4; ++t) ids.push_back((s + t) % 5);
    next.push_back((s + 4) % 5);
  }
  const Tensor x = from_vector(ids, {5, 4}, int64);  // token ids and class indices: int64
  const Tensor y = from_vector(next, {5}, int64);
  optim::Adam adam(model.parameters(), 0.05);
  double first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    const Tensor loss = cross_entropy(model.forward(x), y);
    adam.zero_grad();
    loss.backward();
    adam.step();
    (step == 0 ? first : last) = loss.item();
  }
  // [end]
  CHECK(last < 0.1 * first);
}

TEST_CASE("causal self-attention ignores later positions", "[docs][sequence]") {
  // [snippet: attention]
  manual_seed(3);
  nn::MultiheadAttention attention(/*embed_dim=*/8, /*num_heads=*/2, /*dropout=*/0.0,
                                   /*bias=*/true, /*batch_first=*/true);
  const Tensor x = randn({2, 5, 8});  // (N, L, E)
  const nn::AttentionOutput out =
      attention.forward(x, x, x, /*key_padding_mask=*/Tensor(), /*need_weights=*/true,
                        nn::generate_square_subsequent_mask(5));  // -inf above the diagonal
  CHECK(out.output.shape() == Shape{2, 5, 8});
  CHECK(out.weights.shape() == Shape{2, 5, 5});       // averaged over the heads
  CHECK(out.weights.data<float>()(0, 1, 2) == 0.0f);  // position 1 does not see position 2
  // [end]
}

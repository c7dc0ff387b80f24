// The code of docs/from-pytorch.md: common PyTorch lines beside their xgrad translations, each
// PyTorch line as a comment above the xgrad code, with the values checked.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <vector>

#include <xtensor/xmath.hpp>

#include "autograd/autograd.hpp"
#include "nn/nn.hpp"

using namespace xgrad;

TEST_CASE("from PyTorch: tensors, dtypes and factories", "[docs][from-pytorch]") {
  // [snippet: tensors]
  // x = torch.tensor([[1., 2.], [3., 4.]], dtype=torch.float64, requires_grad=True)
  Tensor x = Tensor(xt::xarray<double>{{1, 2}, {3, 4}}, /*requires_grad=*/true);
  // labels = torch.tensor([1, 0])                      # int64
  Tensor labels = from_vector(std::vector<std::int64_t>{1, 0}, {2});
  // z = torch.zeros(2, 3, dtype=torch.float64)
  Tensor z = zeros({2, 3}, float64);
  // r = torch.arange(5)                                # int64
  Tensor r = arange(0, 5, 1, int64);
  // x32 = x.float()   or   x.to(torch.float32)
  Tensor x32 = x.to(float32);
  // total = x.sum().item()
  double total = x.sum().item();
  // values = x.flatten().tolist()
  std::vector<double> values = x.to_vector<double>();
  // x.shape, x.dim(), x.numel(), x.size(-1)
  CHECK(x.shape() == Shape{2, 2});
  CHECK(x.size(-1) == 2);

  CHECK(labels.dtype() == int64);
  CHECK(r.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2, 3, 4});
  CHECK(x32.dtype() == float32);
  CHECK(total == 10);
  CHECK(values == std::vector<double>{1, 2, 3, 4});
  // [end]
  CHECK(z.dtype() == float64);
  CHECK(x.to(boolean).to_vector<bool>() == std::vector<bool>{true, true, true, true});
  CHECK(x.to(int64).dtype() == int64);
}

TEST_CASE("from PyTorch: indexing and masks", "[docs][from-pytorch]") {
  // [snippet: indexing]
  using namespace xgrad::indexing;
  Tensor x = arange(0, 12, 1, float64).reshape({3, 4});
  // x[-1]
  CHECK(x.index({-1}).to_vector<double>() == std::vector<double>{8, 9, 10, 11});
  // x[:, 1:3]                    (also slice(x, 1, 1, 3))
  CHECK(x.index({Slice(), Slice(1, 3)}).shape() == Shape{3, 2});
  // x[..., None]
  CHECK(x.index({Ellipsis, None}).shape() == Shape{3, 4, 1});
  // x[x > 8]
  CHECK(x.index({x > 8.0}).to_vector<double>() == std::vector<double>{9, 10, 11});
  // x.index_select(1, torch.tensor([3, 0]))
  CHECK(index_select(x, 1, {3, 0}).to_vector<double>() == std::vector<double>{3, 0, 7, 4, 11, 8});
  // torch.where(x > 8, x, torch.zeros_like(x)).sum()
  CHECK(sum(where(x > 8.0, x, zeros_like(x))).item() == 30);
  // x.masked_fill(x < 2, -1.).min()    (no min() reduction yet: -max(-x))
  CHECK(-max(-masked_fill(x, x < 2.0, -1.0)).item() == -1);
  // x.argmax(dim=1)
  CHECK(argmax(x, 1).to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 3, 3});
  // [end]
}

TEST_CASE("from PyTorch: autograd and in-place updates", "[docs][from-pytorch]") {
  // [snippet: autograd]
  // w = torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)
  Tensor w = Tensor(xt::xarray<double>{1, 2}, true);
  // loss = (w ** 3).sum(); loss.backward()
  Tensor loss = sum(pow(w, 3.0));
  loss.backward();
  CHECK(w.grad().to_vector<double>() == std::vector<double>{3, 12});
  // (g,) = torch.autograd.grad((w ** 3).sum(), [w], create_graph=True)
  Tensor g = autograd::grad({sum(pow(w, 3.0))}, {w}, {}, /*retain_graph=*/false,
                            /*create_graph=*/true)[0];
  // (h,) = torch.autograd.grad(g.sum(), [w])       # the Hessian's diagonal, 6 w
  Tensor h = autograd::grad({sum(g)}, {w})[0];
  CHECK(h.to_vector<double>() == std::vector<double>{6, 12});
  // with torch.no_grad(): w -= 0.1 * w.grad
  {
    no_grad guard;
    w.sub_(w.grad(), /*alpha=*/0.1);
  }
  // w.grad.zero_()
  w.zero_grad();
  CHECK(xt::allclose(w.data<double>(), xt::xarray<double>{0.7, 0.8}));
  // d = w.detach(); d.requires_grad                 # False
  CHECK_FALSE(w.detach().requires_grad());
  // [end]
}

TEST_CASE("from PyTorch: a classifier's training step", "[docs][from-pytorch]") {
  // [snippet: training]
  Generator generator(0);
  Tensor x = randn({8, 4}, generator);
  Tensor y = from_vector(std::vector<std::int64_t>{0, 1, 2, 0, 1, 2, 0, 1}, {8});
  // model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
  manual_seed(0);
  nn::Sequential model{std::make_shared<nn::Linear>(4, 16), std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Linear>(16, 3)};
  // optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
  optim::Adam optimizer(model.parameters(), /*lr=*/0.01);
  // loss_fn = nn.CrossEntropyLoss()
  nn::CrossEntropyLoss loss_fn;
  double first = 0, last = 0;
  for (int step = 0; step < 100; ++step) {
    optimizer.zero_grad();               // optimizer.zero_grad()
    Tensor loss = loss_fn(model(x), y);  // loss = loss_fn(model(x), y)
    loss.backward();                     // loss.backward()
    optimizer.step();                    // optimizer.step()
    (step == 0 ? first : last) = loss.item();
  }
  // model.eval(); with torch.no_grad(): predicted = model(x).argmax(1)
  model.eval();
  Tensor predicted = [&] {
    no_grad guard;
    return argmax(model(x), 1);
  }();
  CHECK(last < first / 10);
  CHECK(sum(eq(predicted, y).to(int64)).item<std::int64_t>() == 8);  // every row right
  // [end]

  // An optimizer step bumps the parameters' versions: a retained graph refuses to run after it.
  Tensor loss = loss_fn(model(x), y);
  loss.backward(Tensor(), /*retain_graph=*/true);
  const std::uint32_t before = model.parameters()[0].version();
  optimizer.step();
  CHECK(model.parameters()[0].version() == before + 1);
  CHECK_THROWS_WITH(loss.backward(), Catch::Matchers::Contains("was modified in place"));
}

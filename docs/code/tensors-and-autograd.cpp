// The code of docs/tensors-and-autograd.md: tensors, dtypes (int64 and bool too), indexing,
// in-place ops and version counters, factories, the seeded Generator,
// broadcasting, backward, no_grad, detach, gradients of gradients, gradcheck and to_dot. Each
// snippet region is embedded in the page; the checks assert what the page says.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <xtensor/xmath.hpp>

#include "autograd/autograd.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("a tensor holds an xarray of float32 or float64 values", "[docs][tensors]") {
  // [snippet: create]
  Tensor a = Tensor(xt::xarray<float>{{1, 2, 3}, {4, 5, 6}});              // float32, shape (2, 3)
  Tensor b = Tensor(xt::xarray<double>{1, 2, 3}, /*requires_grad=*/true);  // float64
  CHECK(a.dtype() == float32);
  CHECK(a.shape() == Shape{2, 3});
  a.data<float>()(1, 2) = 60;  // the xt::xarray<float> itself; a.data<double>() throws
  CHECK(a.data<float>()(1, 2) == 60);
  CHECK(sum(b).item() == 6);  // item(): the one value of a one-element tensor, as a double

  std::ostringstream out;
  out << b;
  CHECK(out.str() == "tensor({ 1.,  2.,  3.}, dtype=float64, requires_grad=true)");
  // [end]
}

TEST_CASE("factories make constants and ranges in the dtype asked for", "[docs][tensors]") {
  // [snippet: factories]
  Tensor z = zeros({2, 3});       // float32 unless you ask for float64
  Tensor i = eye(3, float64);     // the 3 x 3 identity
  Tensor r = arange(0, 1, 0.25);  // 0, 0.25, 0.5, 0.75, as numpy.arange
  Tensor s = scalar_tensor(2.5);  // shape ()
  Tensor p = full({2}, 7.5, float64, /*requires_grad=*/true);
  Tensor o = ones_like(p);  // same shape and dtype, no requires_grad
  CHECK(xt::allclose(r.data<float>(), xt::xarray<float>{0, 0.25, 0.5, 0.75}));
  CHECK(o.dtype() == float64);
  CHECK_FALSE(o.requires_grad());
  // [end]
  CHECK(z.numel() == 6);
  CHECK(s.shape() == Shape{});
  CHECK(i.data<double>()(1, 1) == 1);
}

TEST_CASE("dtypes never mix silently", "[docs][tensors]") {
  // [snippet: dtypes]
  Tensor x32 = ones({3});
  Tensor x64 = ones({3}, float64);
  CHECK_THROWS_WITH(x32 + x64, "add: dtype mismatch: float32 and float64 (convert one with to())");
  Tensor y = x32.to(float64) + x64;  // convert explicitly; to() is differentiable
  CHECK(y.dtype() == float64);
  CHECK((x32 * 2.5).dtype() == float32);  // a C++ number takes the tensor's dtype
  // [end]
}

TEST_CASE("int64 and bool tensors hold indices, labels and masks", "[docs][tensors]") {
  // [snippet: int-bool]
  Tensor labels = from_vector(std::vector<std::int64_t>{2, 0, 1}, {3});  // int64
  Tensor mask = Tensor(xt::xarray<bool>{true, false, true});             // bool
  CHECK(labels.dtype() == int64);
  CHECK(zeros({2, 2}, boolean).dtype() == boolean);  // every factory takes int64 and bool
  CHECK(labels.to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 0, 1});
  CHECK(sum(labels).item<std::int64_t>() == 3);  // int64 add, sub, mul and sum stay int64

  Tensor scores = Tensor(xt::xarray<float>{{0.1, 0.7, 0.2}, {0.5, 0.3, 0.2}, {0.2, 0.2, 0.6}});
  Tensor predicted = argmax(scores, 1);  // int64 class indices, as torch.argmax(scores, 1)
  Tensor correct = predicted == labels;  // comparisons give bool tensors
  CHECK(correct.dtype() == boolean);
  CHECK(correct.to_vector<bool>() == std::vector<bool>{false, true, false});
  CHECK(sum(correct.to(int64)).item<std::int64_t>() == 1);  // count with to(int64)
  CHECK((logical_and(mask, ~correct)).to_vector<bool>() == std::vector<bool>{true, false, true});

  // No promotion between any two dtypes, and only float32 and float64 carry gradients.
  CHECK_THROWS_WITH(labels + ones({3}),
                    "add: dtype mismatch: int64 and float32 (convert one with to())");
  CHECK_THROWS_WITH(labels.requires_grad_(),
                    "requires_grad_: only floating-point tensors can require gradients; this "
                    "tensor is int64");
  // [end]
  CHECK(mask.dtype() == boolean);
  CHECK(Tensor(xt::xarray<double>{-1.7, 2.9}).to(int64).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{-1, 2});  // to(int64) truncates toward zero
  CHECK_THROWS(labels / labels);            // no integer division
  CHECK((labels * labels - labels + labels).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{4, 0, 1});  // int64 + - * stay int64
}

TEST_CASE("from_blob makes a tensor over the caller's memory without copying", "[docs][tensors]") {
  // [snippet: from-blob]
  std::vector<float> pixels{0, 64, 128, 255};       // memory the program already has
  Tensor image = from_blob(pixels.data(), {2, 2});  // no copy: pixels must outlive image
  {
    no_grad guard;
    image.div_(255.0);  // in place: writes pixels
  }
  CHECK(pixels[3] == 1.0f);
  pixels[0] = 0.5f;  // and the tensor reads what is there
  CHECK(image.to_vector<float>()[0] == 0.5f);

  // With a deleter, the tensor owns the memory: it is called when the last tensor sharing it dies.
  auto* buffer = new double[3]{1, 2, 3};
  Tensor owned = from_blob(
      buffer, {3}, [](void* p) { delete[] static_cast<double*>(p); }, float64);
  CHECK(sum(owned).item() == 6.0);
  // [end]
}

TEST_CASE("indices count from the end and slices may be open", "[docs][indexing]") {
  // [snippet: select-slice]
  Tensor x = arange(0, 12, 1, float64).reshape({4, 3});  // rows (0 1 2), (3 4 5), ...
  CHECK(select(x, 0, -1).to_vector<double>() == std::vector<double>{9, 10, 11});  // x[-1]
  CHECK(slice(x, 0, 1, -1).shape() == Shape{2, 3});                               // x[1:-1]
  CHECK(slice(x, 0, -1).to_vector<double>() == std::vector<double>{9, 10, 11});   // x[-1:]
  CHECK(slice(x, 1, std::nullopt, std::nullopt, 2).shape() == Shape{4, 2});       // x[:, ::2]
  CHECK(narrow(x, 1, -2, 2).shape() == Shape{4, 2});  // x.narrow(1, -2, 2): x[:, 1:3]

  Tensor rows = from_vector(std::vector<std::int64_t>{3, 0, -1}, {3});
  CHECK(index_select(x, 0, rows).to_vector<double>() ==
        std::vector<double>{9, 10, 11, 0, 1, 2, 9, 10, 11});  // -1 is the last row

  CHECK_THROWS_WITH(select(x, 0, -5), "select: index -5 out of range for axis 0 of extent 4");
  CHECK_THROWS_WITH(slice(x, 0, std::nullopt, std::nullopt, -1),
                    "slice: step must be positive, got -1 (axis 0 of extent 4)");
  // [end]
}

TEST_CASE("Tensor::index takes Python's index lists, masks and int64 tensors", "[docs][indexing]") {
  // [snippet: index]
  using namespace xgrad::indexing;  // Slice, None, Ellipsis
  Tensor x = arange(0, 12, 1, float64).reshape({4, 3});
  CHECK(x.index({Slice(1, -1), 0}).to_vector<double>() == std::vector<double>{3, 6});  // x[1:-1, 0]
  CHECK(x.index({Ellipsis, -1}).to_vector<double>() == std::vector<double>{2, 5, 8, 11});
  CHECK(x.index({None, Slice(), Slice(std::nullopt, 2)}).shape() ==
        Shape{1, 4, 2});  // x[None, :, :2]
  CHECK(x.index({x > 8.5}).to_vector<double>() == std::vector<double>{9, 10, 11});  // x[x > 8.5]
  Tensor picks = from_vector(std::vector<std::int64_t>{0, 0, 2}, {3});
  CHECK(x.index({picks, 1}).to_vector<double>() == std::vector<double>{1, 1, 7});  // x[picks, 1]

  // Every form is differentiable: the gradient lands on the entries picked, repeats adding up.
  Tensor w = Tensor(xt::xarray<double>{1, 2, 3, 4}, /*requires_grad=*/true);
  Tensor loss = sum(w.index({picks})) + sum(w.index({w > 2.5}));
  loss.backward();
  CHECK(w.grad().to_vector<double>() == std::vector<double>{2, 0, 2, 1});
  // [end]
}

TEST_CASE("in-place ops bump a version that backward checks", "[docs][inplace]") {
  // [snippet: inplace]
  Tensor a = Tensor(xt::xarray<double>{1, 2, 3});
  a.add_(1.0).mul_(2.0);          // a = (a + 1) * 2, in a's own buffer: 4, 6, 8
  a.masked_fill_(a > 5.0, -1.0);  // 4, -1, -1
  a.clamp_(0.0, 3.0);             // 3, 0, 0
  CHECK(a.to_vector<double>() == std::vector<double>{3, 0, 0});
  CHECK(a.version() == 4);  // each in-place op counts once

  // A leaf that requires grad changes only under no_grad, as an optimizer step does.
  Tensor w = Tensor(xt::xarray<double>{1, 2}, /*requires_grad=*/true);
  CHECK_THROWS_WITH(w.sub_(1.0),
                    "sub_: a leaf tensor that requires grad cannot be changed in place while "
                    "grad mode is on; wrap the update in no_grad (as optimizers do)");
  sum(w * w).backward();  // w.grad() = 2 w = (2, 4)
  {
    no_grad guard;
    w.sub_(w.grad(), /*alpha=*/0.1);  // w -= 0.1 * w.grad(), as SGD does
  }
  CHECK(xt::allclose(w.data<double>(), xt::xarray<double>{0.8, 1.6}));

  // A backward that needs values changed since the forward pass refuses to run.
  Tensor h = w * 2.0;  // not a leaf, so it may be changed in place
  Tensor y = h * h;    // mul saves h for its backward
  h.add_(1.0);
  CHECK_THROWS_WITH(sum(y).backward(),
                    "a tensor needed by the backward of 'mul' (input 0) was modified in place by "
                    "'add_' (version 1, saved at version 0); run the forward pass again after the "
                    "change, or change a clone()");
  // [end]

  // A retained graph that saved a parameter refuses to run after an update under no_grad.
  Tensor v = Tensor(xt::xarray<double>{1.0}, true);
  Tensor q = sum(v * v);
  q.backward(Tensor(), /*retain_graph=*/true);
  {
    no_grad guard;
    v.sub_(v.grad(), 0.1);
  }
  CHECK(v.version() == 1);
  CHECK_THROWS_WITH(q.backward(), Contains("modified in place by 'sub_'"));
}

TEST_CASE("a seeded Generator gives the same numbers everywhere", "[docs][tensors]") {
  // [snippet: generator]
  Generator generator(42);
  Tensor w = randn({3, 2}, generator);  // standard normal, drawn in row-major order
  Tensor u = uniform({4}, -1.0, 1.0, generator, float64);

  Generator again(42);
  CHECK(xt::allclose(randn({3, 2}, again).data<float>(), w.data<float>()));  // same seed
  CHECK(Generator(42).uniform() == 0.7415648787718233);  // with any compiler, on any platform

  manual_seed(7);  // seeds default_generator(), which factories use when given none
  Tensor n = rand({2});
  // [end]
  CHECK(u.dtype() == float64);
  manual_seed(7);
  CHECK(xt::allclose(rand({2}).data<float>(), n.data<float>()));
}

TEST_CASE("broadcasting follows NumPy and gradients are summed back", "[docs][autograd]") {
  // [snippet: broadcast]
  Tensor a = Tensor(xt::xarray<float>{{1, 2, 3}, {4, 5, 6}}, true);  // (2, 3)
  Tensor b = Tensor(xt::xarray<float>{10, 20, 30}, true);            // (3,)
  Tensor loss = mean(a * b + 1.0);  // b is repeated over the two rows of a
  loss.backward();
  CHECK(loss.item() == Approx(77.6667).epsilon(1e-5));
  CHECK(a.grad().shape() == Shape{2, 3});  // d loss / d a = b / 6
  CHECK(b.grad().shape() == Shape{3});     // summed over the rows: (1 + 4) / 6, (2 + 5) / 6, ...
  CHECK(xt::allclose(b.grad().data<float>(), xt::xarray<float>{5 / 6., 7 / 6., 9 / 6.}));

  CHECK_THROWS_WITH(ones({2, 3}) + ones({4, 3}), "add: cannot broadcast (2, 3) with (4, 3)");
  // [end]
}

TEST_CASE("backward needs a scalar, accumulates, and frees the graph", "[docs][autograd]") {
  // [snippet: backward]
  Tensor x = Tensor(xt::xarray<double>{1, 2, 3}, true);
  Tensor y = x * x;  // shape (3,): not a scalar
  CHECK_THROWS_WITH(
      y.backward(),
      "backward: tensor of shape (3,) is not a scalar; pass a gradient of that shape");

  y.backward(ones({3}, float64), /*retain_graph=*/true);  // the sum of dy_i/dx = 2x
  CHECK(xt::allclose(x.grad().data<double>(), xt::xarray<double>{2, 4, 6}));
  y.backward(ones({3}, float64));  // gradients accumulate, as in PyTorch
  CHECK(xt::allclose(x.grad().data<double>(), xt::xarray<double>{4, 8, 12}));

  // That backward had no retain_graph, so it freed the graph as it went.
  CHECK_THROWS_WITH(y.backward(ones({3}, float64)),
                    Contains("backward through the graph a second time"));
  x.zero_grad();  // PyTorch: x.grad.zero_()
  CHECK(xt::allclose(x.grad().data<double>(), xt::xarray<double>{0, 0, 0}));
  // [end]
}

TEST_CASE("no_grad records nothing and detach cuts a tensor from the graph", "[docs][autograd]") {
  // [snippet: no-grad]
  Tensor w = Tensor(xt::xarray<float>{0.5, -1.0}, true);
  {
    no_grad guard;  // as `with torch.no_grad():`, until the end of the scope
    Tensor y = w * 2.0;
    CHECK_FALSE(y.requires_grad());
  }
  Tensor d = (w * 2.0).detach();  // the same values, as a leaf without requires_grad
  CHECK(d.is_leaf());
  CHECK_FALSE(d.requires_grad());
  // [end]
}

TEST_CASE("create_graph gives gradients of gradients: a Hessian-vector product",
          "[docs][autograd]") {
  // [snippet: hessian]
  // f(x) = x0^2 x1 + x1^3 at x = (1, 2); its Hessian is [[2 x1, 2 x0], [2 x0, 6 x1]].
  Tensor x = Tensor(xt::xarray<double>{1, 2}, true);
  Tensor x0 = select(x, 0, 0);
  Tensor x1 = select(x, 0, 1);
  Tensor f = x0 * x0 * x1 + pow(x1, 3.0);

  // The gradient (2 x0 x1, x0^2 + 3 x1^2), recorded as a graph of its own.
  Tensor g = autograd::grad({f}, {x}, /*grad_outputs=*/{}, /*retain_graph=*/false,
                            /*create_graph=*/true)[0];
  CHECK(xt::allclose(g.data<double>(), xt::xarray<double>{4, 13}));

  // The gradient of g . v is the Hessian-vector product H v.
  Tensor v = Tensor(xt::xarray<double>{1, 1});
  Tensor hv = autograd::grad({sum(g * v)}, {x})[0];
  CHECK(xt::allclose(hv.data<double>(), xt::xarray<double>{6, 14}));  // [[4, 2], [2, 12]] (1, 1)
  CHECK_FALSE(x.grad().defined());  // grad() returns; it does not accumulate
  // [end]
}

TEST_CASE("gradcheck compares backward with finite differences", "[docs][autograd]") {
  // [snippet: gradcheck]
  Generator generator(0);
  Tensor x = uniform({3, 4}, -2.0, 2.0, generator, float64).requires_grad_();
  Tensor w = uniform({4}, -1.0, 1.0, generator, float64).requires_grad_();
  auto f = [](const std::vector<Tensor>& in) { return tanh(in[0] * in[1]); };

  GradcheckResult first = gradcheck(f, {x, w});       // 12 outputs x 16 inputs
  GradcheckResult second = gradgradcheck(f, {x, w});  // through create_graph
  CHECK(first.passed);
  CHECK(second.passed);
  CHECK_THAT(first.message, StartsWith("gradcheck passed: 192 Jacobian entries"));

  Tensor x32 = ones({3}, float32, true);
  CHECK_THROWS_WITH(gradcheck(f, {x32, x32}), Contains("gradient checks need float64"));
  // [end]
}

TEST_CASE("to_dot draws the graph that backward would walk", "[docs][autograd]") {
  // [snippet: dot]
  Generator generator(1);
  Tensor x = randn({4, 3}, generator);
  Tensor w = randn({3, 5}, generator).requires_grad_();
  Tensor loss = sum(relu(matmul(x, w)));

  std::string dot = to_dot(loss);  // save it as graph.dot; dot -Tpng graph.dot -o graph.png
  CHECK_THAT(dot, Contains("matmul\\n(4, 5) float32"));      // one box per op
  CHECK_THAT(dot, Contains("leaf (3, 5)\\nrequires_grad"));  // one ellipse per parameter

  loss.backward();  // frees the graph: draw it before
  CHECK_THAT(to_dot(loss), !Contains("matmul"));
  // [end]
}

TEST_CASE("matmul batches and broadcasts stacks of matrices; shape ops take signed axes",
          "[docs][tensors]") {
  // [snippet: batched]
  Generator generator(2);
  Tensor x = randn({8, 5, 3}, generator);                // 8 sequences of 5 steps, 3 features
  Tensor w = randn({3, 4}, generator).requires_grad_();  // one matrix for every batch entry
  Tensor scores = matmul(x, w);                          // (8, 5, 4): one gemm for the stack
  CHECK(scores.shape() == Shape{8, 5, 4});
  Tensor attention = softmax(matmul(scores, scores, false, true), -1);  // (8, 5, 5), flags
  Tensor causal = tril(ones({5, 5}));                                   // mask the future
  Tensor pooled = logsumexp(attention * causal, {-1});                  // (8, 5)
  sum(pooled).backward();
  CHECK(w.grad().shape() == Shape{3, 4});  // summed over the 8 batch entries

  CHECK(permute(x, {2, 0, 1}).shape() == Shape{3, 8, 5});
  CHECK(flatten(x, 1).shape() == Shape{8, 15});
  CHECK(stack({x, x}, -1).shape() == Shape{8, 5, 3, 2});
  CHECK(split(x, 2, -2).size() == 3);  // pieces of 2, 2 and 1 steps
  CHECK_THROWS_WITH(matmul(x, randn({2, 3, 4}, generator)),
                    "matmul: batch dimensions do not broadcast: a is (8, 5, 3), b is (2, 3, 4)");
  // [end]
}

// A tour of xgrad's autograd engine: tensors and broadcasting, backward, no_grad and detach,
// gradients of gradients, a user-defined differentiable op checked against finite differences, a
// few steps of gradient descent written with tensor ops, and a picture of a computation graph.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "autograd/autograd.hpp"

using namespace xgrad;

namespace {

void heading(const std::string& title) {
  std::cout << "\n== " << title << " ==\n";
}

// A user-defined op: softsign(x) = x / (1 + |x|), with d/dx = 1 / (1 + |x|)^2. The forward computes
// values with recording off; record() attaches the backward, written in tensor ops so that
// gradients of gradients work too. Built-in ops are defined the same way.
Tensor softsign(const Tensor& x) {
  Tensor y = [&] {
    no_grad guard;
    return x / (abs(x) + 1.0);
  }();
  return record("softsign", y, {x},
                [x](const Tensor& dy) { return Gradients{dy / pow(abs(x) + 1.0, 2.0)}; });
}

void tensors_and_backward() {
  heading("Tensors, broadcasting and backward");
  Tensor a = Tensor(xt::xarray<float>{{1, 2, 3}, {4, 5, 6}}, /*requires_grad=*/true);
  Tensor b = Tensor(xt::xarray<float>{10, 20, 30}, true);
  Tensor c = a * b + 1.0;  // (2, 3) * (3,) broadcasts b over the rows
  Tensor loss = mean(c);
  std::cout << "a = " << a << "\nb = " << b << "\nloss = mean(a * b + 1) = " << loss << "\n";
  loss.backward();
  std::cout << "dloss/da = " << a.grad() << "\n"
            << "dloss/db = " << b.grad() << "  (summed over the broadcast rows)\n";
}

void no_grad_and_detach() {
  heading("no_grad and detach");
  Tensor w = Tensor(xt::xarray<double>{0.5, -1.0}, true);
  {
    no_grad guard;
    Tensor y = w * 2.0;
    std::cout << "inside no_grad: (w * 2).requires_grad() = " << std::boolalpha << y.requires_grad()
              << "\n";
  }
  Tensor d = (w * 2.0).detach();
  std::cout << "detach(): is_leaf = " << d.is_leaf() << ", requires_grad = " << d.requires_grad()
            << "\n";
}

void higher_order() {
  heading("Gradients of gradients");
  Tensor x = Tensor(xt::xarray<double>{0.5}, true);
  Tensor y = sum(tanh(x));
  Tensor dy = autograd::grad({y}, {x}, {}, false, /*create_graph=*/true)[0];
  Tensor d2y = autograd::grad({sum(dy)}, {x})[0];
  const double t = std::tanh(0.5);
  std::cout << "d/dx tanh(x) at 0.5   = " << dy.item() << "  (1 - tanh^2 = " << 1 - t * t << ")\n"
            << "d2/dx2 tanh(x) at 0.5 = " << d2y.item()
            << "  (-2 tanh (1 - tanh^2) = " << -2 * t * (1 - t * t) << ")\n";
}

void custom_op() {
  heading("A user-defined differentiable op, checked against finite differences");
  Generator generator(3);
  Tensor x = uniform({4, 3}, -2.0, 2.0, generator, float64).requires_grad_();
  const auto f = [](const std::vector<Tensor>& in) { return softsign(in[0]); };
  const GradcheckResult first = gradcheck(f, {x});
  const GradcheckResult second = gradgradcheck(f, {x});
  std::cout << first.message << "\n" << second.message << "\n";
}

void gradient_descent() {
  heading("Gradient descent with tensor ops: fit y = 3x - 2");
  Generator generator(0);
  Tensor x = uniform({64, 1}, -1.0, 1.0, generator);
  Tensor y = x * 3.0 - 2.0;
  Tensor w = zeros({1, 1}).requires_grad_();
  Tensor b = zeros({1}).requires_grad_();
  for (int step = 0; step <= 200; ++step) {
    Tensor loss = mse_loss(matmul(x, w) + b, y);
    w.zero_grad();
    b.zero_grad();
    loss.backward();
    {
      no_grad guard;
      add_(w, w.grad(), -0.1);
      add_(b, b.grad(), -0.1);
    }
    if (step % 50 == 0) {
      std::cout << "step " << step << ": loss " << loss.item() << ", w " << w.item() << ", b "
                << b.item() << "\n";
    }
  }
}

void graph_picture(const std::filesystem::path& out_dir) {
  heading("The computation graph of a small network");
  Generator generator(1);
  Tensor x = randn({4, 3}, generator);
  Tensor w1 = randn({3, 5}, generator).requires_grad_();
  Tensor b1 = zeros({5}).requires_grad_();
  Tensor w2 = randn({5, 2}, generator).requires_grad_();
  Tensor loss =
      cross_entropy(matmul(relu(matmul(x, w1) + b1), w2), std::vector<std::int64_t>{0, 1, 1, 0});
  const std::filesystem::path dot_file = out_dir / "graph.dot";
  const std::filesystem::path png_file = out_dir / "graph.png";
  std::ofstream(dot_file) << to_dot(loss);
  std::cout << "wrote " << dot_file.string() << "\n";
  if (std::system("command -v dot >/dev/null 2>&1") != 0) {
    std::cout << "Graphviz (dot) is not installed: picture skipped\n";
    return;
  }
  const std::string command =
      "dot -Tpng '" + dot_file.string() + "' -o '" + png_file.string() + "'";
  if (std::system(command.c_str()) == 0) {
    std::cout << "wrote " << png_file.string() << "\n";
  } else {
    std::cout << "dot failed; the DOT file is still there\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A tour of xgrad's autograd engine"};
  app.option_defaults()->always_capture_default();  // --help shows every default
  std::string out_dir = "out/autograd_tour";
  app.add_option("--out", out_dir, "Folder for the graph picture");
  CLI11_PARSE(app, argc, argv);

  try {
    std::filesystem::create_directories(out_dir);
    tensors_and_backward();
    no_grad_and_detach();
    higher_order();
    custom_op();
    gradient_descent();
    graph_picture(out_dir);
  } catch (const std::exception& e) {
    std::cerr << "autograd_tour: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

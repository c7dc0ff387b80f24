// The template to copy for your own model: a user-defined differentiable op (swish with a learnable
// slope, made with xgrad::record), its gradient checks, a user-defined nn::Module that uses it,
// training with nn::Trainer on two moons, and saving and reloading the trained model.
//
// Copy this file, rename the op and the module, and keep the four steps:
//   1. write the op: forward values without recording, then record() with a backward in tensor ops;
//   2. check it with gradcheck and gradgradcheck in float64 before training with it;
//   3. write the module: register parameters and submodules in the constructor, compose in forward;
//   4. train with nn::Trainer (or nn::fit), then nn::save / nn::load the state.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "autograd/autograd.hpp"
#include "common/format.hpp"
#include "common/plot.hpp"
#include "nn/nn.hpp"

using namespace xgrad;
namespace fs = std::filesystem;

using namespace xgrad::examples;

namespace {

constexpr const char* kProgram = "custom_model";

// ---------------------------------------------------------------------------------------------
// Step 1: the op.
//
// swish(x, beta) = x * sigmoid(beta * x), with a slope beta per feature (Ramachandran et al.,
// "Searching for Activation Functions", 2017). x is (N, F) and beta (F,), broadcast over the rows.
// With s = sigmoid(beta x):
//   d/dx    = s + beta x s (1 - s)
//   d/dbeta = x^2 s (1 - s), summed over the rows that beta was broadcast to.
//
// It could be written as the composition x * sigmoid(beta * x) and would need no backward at all;
// it is a hand-written op here to show the mechanism every built-in op uses.
Tensor swish(const Tensor& x, const Tensor& beta) {
  // The forward computes values only: no graph is recorded inside it.
  Tensor y = [&] {
    no_grad guard;
    return x * sigmoid(x * beta);
  }();
  // record() attaches the node when grad mode is on and some input requires grad (and returns y
  // unchanged otherwise). The backward captures the inputs (never the output y: the output owns
  // the node, so capturing it would make a cycle) and is written with tensor ops, so that with
  // create_graph it records a graph of its own and second derivatives come out right.
  return record("swish", y, {x, beta}, [x, beta](const Tensor& dy) {
    const Tensor s = sigmoid(x * beta);
    const Tensor ds = s * (1.0 - s);  // sigmoid'(beta x)
    Gradients grads(2);               // undefined = no gradient for that input
    if (x.requires_grad()) grads[0] = dy * (s + beta * x * ds);
    // beta was broadcast from (F,) to (N, F): its gradient is summed back to (F,).
    if (beta.requires_grad()) grads[1] = reduce_to_shape(dy * x * x * ds, beta.shape());
    return grads;
  });
}

// ---------------------------------------------------------------------------------------------
// Step 2: the checks. Gradients are compared with central differences in float64 at random points
// (swish is smooth everywhere, so no point needs avoiding). gradgradcheck differentiates the
// backward itself: it fails when a backward is right in value but not built from tensor ops.
bool check_swish() {
  Generator generator(7);
  const Tensor x = uniform({5, 3}, -3.0, 3.0, generator, float64).requires_grad_();
  const Tensor beta = uniform({3}, 0.5, 2.0, generator, float64).requires_grad_();
  const auto f = [](const std::vector<Tensor>& in) { return swish(in[0], in[1]); };
  const GradcheckResult first = gradcheck(f, {x, beta});
  const GradcheckResult second = gradgradcheck(f, {x, beta});
  std::cout << "swish: " << first.message << "\n"
            << "swish: " << second.message << "\n";
  return first.passed && second.passed;
}

// ---------------------------------------------------------------------------------------------
// Step 3: the modules.
//
// A layer owning one parameter. register_parameter makes beta trainable and named, so
// parameters(), zero_grad(), state_dict() (saving), to(dtype) and printing all see it.
class Swish : public nn::Module {
 public:
  explicit Swish(std::size_t features, Dtype dtype = float32) : features_(features) {
    beta = register_parameter("beta", ones({features}, dtype));  // starts as x * sigmoid(x)
  }
  Tensor forward(const Tensor& x) override { return swish(x, beta); }
  // What printing shows between the parentheses: "Swish(features=16)".
  std::string extra_repr() const override { return "features=" + std::to_string(features_); }

  Tensor beta;  // (features,)

 private:
  std::size_t features_;
};

// A model made of submodules. register_module names each one ("fc1", "act1", ...), which gives
// the dotted parameter names ("act1.beta") used by summary() and by checkpoints.
class MoonNet : public nn::Module {
 public:
  MoonNet(std::size_t hidden, Generator& generator) {
    fc1 = register_module(
        "fc1", std::make_shared<nn::Linear>(2, hidden, true, nn::Init::kaiming_uniform, generator));
    act1 = register_module("act1", std::make_shared<Swish>(hidden));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(
                                     hidden, hidden, true, nn::Init::kaiming_uniform, generator));
    act2 = register_module("act2", std::make_shared<Swish>(hidden));
    head = register_module("head", std::make_shared<nn::Linear>(
                                       hidden, 2, true, nn::Init::kaiming_uniform, generator));
  }

  // x (N, 2) -> logits (N, 2); cross_entropy applies the softmax.
  Tensor forward(const Tensor& x) override {
    Tensor h = act1->forward(fc1->forward(x));  // (N, hidden)
    h = act2->forward(fc2->forward(h));         // (N, hidden)
    return head->forward(h);                    // (N, 2)
  }

  std::shared_ptr<nn::Linear> fc1, fc2, head;
  std::shared_ptr<Swish> act1, act2;
};

// ---------------------------------------------------------------------------------------------

// The model's logits for x, in evaluation mode and without recording a graph.
Tensor logits(MoonNet& model, const Tensor& x) {
  model.eval();
  no_grad guard;
  return model(x);
}

double largest_difference(const Tensor& a, const Tensor& b) {
  const Tensor d = to(abs(a - b), float64);
  const auto& v = d.data<double>();
  return v.size() ? *std::max_element(v.begin(), v.end()) : 0.0;
}

bool plot_history(const fs::path& out, const nn::History& history) {
  history.to_csv((out / "history.csv").string());  // epoch,train_loss,val_loss,train_accuracy,...
  std::ostringstream gp;
  gp << examples::png_terminal(1100, 420) << "set output 'history.png'\n"
     << "set datafile separator ','\nset multiplot layout 1,2\n"
     << "set grid lc rgb '#d0d0d0'\nset xlabel 'epoch'\nset key top right\n"
     << "set title 'Cross-entropy loss'\n"
     << "plot 'history.csv' skip 1 using 1:2 with lines lw 2 lc rgb '#4682b4' title 'train', \\\n"
     << "  'history.csv' skip 1 using 1:3 with lines lw 2 lc rgb '#b22222' title 'validation'\n"
     << "set title 'Accuracy (%)'\nset key bottom right\n"
     << "plot 'history.csv' skip 1 using 1:($4*100) with lines lw 2 lc rgb '#4682b4' "
        "title 'train', \\\n"
     << "  'history.csv' skip 1 using 1:($5*100) with lines lw 2 lc rgb '#b22222' "
        "title 'validation'\n"
     << "unset multiplot\n";
  return examples::plot(out / "history.gp", gp.str());
}

struct Config {
  std::size_t epochs = 30;
  std::uint64_t seed = 0;
  std::string out = "out/custom_model";
  bool quiet = false;
};

int run(const Config& c) {
  const fs::path out = c.out;
  fs::create_directories(out);

  std::cout << "== Steps 1 and 2: the user-defined op, checked against finite differences ==\n";
  if (!check_swish()) throw std::runtime_error("the swish op failed its gradient check");

  // Data: two noisy interleaving half circles, 75% for training and 25% held out.
  Generator generator(c.seed);
  const data::Samples moons = data::make_moons(2000, 0.2, generator);
  const data::TrainTestSplit split =
      data::train_test_split(moons.x, moons.y, 0.25, c.seed, /*stratify=*/true);
  const data::Dataset train_set(split.x_train, split.y_train);
  const data::Dataset val_set(split.x_test, split.y_test);

  std::cout << "\n== Step 3: the user-defined module ==\n";
  MoonNet model(16, generator);
  std::cout << model << "\n" << model.summary();

  std::cout << "\n== Step 4: training with nn::Trainer ==\n";
  optim::Adam optimizer(model.parameters(), 0.01);
  nn::FitOptions options;
  options.epochs = c.epochs;
  options.batch_size = 64;
  options.seed = c.seed;
  // metrics::accuracy takes logits (N, C) and class indices (N,): the argmax is the prediction.
  options.metric = [](const Tensor& z, const Tensor& y) { return metrics::accuracy(z, y); };
  options.metric_name = "accuracy";
  options.verbosity = c.quiet ? nn::Verbosity::silent : nn::Verbosity::lines;
  // With a validation set the trainer ends holding the weights of the epoch with the lowest
  // val_loss (the default monitor), not those of the last epoch.
  options.restore_best = true;
  const nn::LossFunction loss = [](const Tensor& z, const Tensor& y) {
    return cross_entropy(z, y);
  };
  nn::Trainer trainer(model, optimizer, loss, options);
  const nn::History history = trainer.fit(train_set, &val_set);
  const auto [val_loss, val_accuracy] = trainer.evaluate(val_set);
  const double train_accuracy = trainer.evaluate(train_set).second;
  std::cout << "final (the weights of epoch " << history.best_epoch
            << ", the lowest val_loss, after " << history.epochs.back().steps
            << " steps): train accuracy " << fixed(100 * train_accuracy, 2)
            << "%, validation accuracy " << fixed(100 * val_accuracy, 2) << "% (loss "
            << fixed(val_loss, 4) << ")\n"
            << "learned swish slopes act1.beta:";
  for (float b : model.act1->beta.data<float>()) std::cout << " " << fixed(b, 2);
  std::cout << "\n";

  // Saving writes every registered parameter and buffer under its dotted name; loading needs a
  // model of the same architecture, built the usual way (its starting weights are replaced).
  const fs::path checkpoint = out / "moonnet.npz";
  nn::save(model, checkpoint.string());
  Generator other(c.seed + 1);
  MoonNet reloaded(16, other);
  const double before = metrics::accuracy(logits(reloaded, split.x_test), split.y_test);
  nn::load(reloaded, checkpoint.string());
  const double difference =
      largest_difference(logits(model, split.x_test), logits(reloaded, split.x_test));
  std::cout << "saved " << checkpoint.string() << "; a fresh MoonNet scores "
            << fixed(100 * before, 2) << "% before loading it, and after loading, its logits "
            << (difference == 0 ? "are identical to" : "differ from") << " the trained model's "
            << "(largest difference " << difference << ")\n";
  if (difference != 0) throw std::runtime_error("the reloaded model predicts differently");

  if (plot_history(out, history)) {
    std::cout << "pictures: " << (out / "history.png").string()
              << " (data: history.csv; checkpoint: moonnet.npz)\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"A template: a user-defined op and module, trained, saved and reloaded"};
  app.option_defaults()->always_capture_default();  // --help shows every default
  app.add_option("--epochs", c.epochs, "Epochs")->check(CLI::Range(1, 1000000));
  app.add_option("--seed", c.seed, "Seed of data, weights and shuffling");
  app.add_option("--out", c.out, "Folder for the checkpoint, history and picture");
  app.add_flag("--quiet", c.quiet, "No per-epoch lines");
  try {
    app.parse(argc, argv);
    return run(c);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::cerr << kProgram << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << kProgram << ": " << e.what() << "\n";
    return 2;
  }
}

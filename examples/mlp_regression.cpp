// The "ML from Scratch" network's regression demo with xgrad: a 1-D curve on [0, 5] fitted by a
// 6-4-10-6-1 ReLU network from the notebook's six features [x, x^2, sin x, cos x, sin x^2,
// cos x^2], with a linear output (the notebook's ReLU output clamps the fit at 0:
// --notebook-output shows it), the target-versus-prediction picture and the learning curve.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "autograd/autograd.hpp"
#include "common/cli.hpp"
#include "common/format.hpp"
#include "common/plot.hpp"
#include "models/models.hpp"
#include "nn/nn.hpp"

using namespace xgrad;
namespace fs = std::filesystem;

using namespace xgrad::examples;

namespace {

constexpr const char* kProgram = "mlp_regression";
// The notebook's picture reports Σ(ŷ - y)² / 2m, half the MSE.
constexpr double kNotebookHalfMse = 0.0226;

struct Config {
  std::size_t samples = 10000;
  double noise = 0;
  std::vector<std::size_t> hidden = {4, 10, 6};
  std::string activation = "relu";
  std::string init = "kaiming_normal";
  std::string normalization = "standard";
  std::string optimizer = "adam";
  double lr = 0.01;
  std::size_t epochs = 300;
  std::size_t batch_size = 100;
  std::uint64_t seed = 0;
  bool notebook_output = false;
  std::string out = "out/mlp_regression";
  bool quiet = false;
};

// The notebook's curve: cos(x/2 - 0.5) + 0.15 x^2 - cos(0.2 x^3) + sin(0.5 x^2).
Tensor curve(const Tensor& x) {
  return cos(x / 2.0 - 0.5) + 0.15 * x * x - cos(0.2 * pow(x, 3.0)) + sin(0.5 * x * x);
}

// Target and prediction over x, as the notebook's picture; noisy samples as faint dots.
bool plot_fit(const fs::path& out, const std::vector<double>& x, const std::vector<double>& clean,
              const std::vector<double>& noisy, const std::vector<double>& predicted,
              const std::string& box, bool noise) {
  examples::write_csv(out / "fit.csv", {"x", "target", "noisy_target", "prediction"},
                      {x, clean, noisy, predicted});
  std::ostringstream gp;
  gp << examples::png_terminal(900, 640) << "set output 'fit.png'\n"
     << "set datafile separator ','\n"
     << "set object 1 rectangle from screen 0,0 to screen 1,1 behind fillcolor rgb 'black' "
        "fillstyle solid noborder\n"
     << "set border lc rgb '#bbbbbb'\nset tics textcolor rgb '#dddddd'\n"
     << "set grid lc rgb '#333333'\n"
     << "set xlabel 'X_0' textcolor rgb '#dddddd'\nset ylabel 'y' textcolor rgb '#dddddd'\n"
     << "set xrange [0:5]\nset offsets 0, 0, graph 0.05, graph 0.05\n"
     << "set key top left Left reverse textcolor rgb '#dddddd' box lc rgb '#888888' opaque "
        "fillcolor rgb '#202020'\n"
     << "set style textbox opaque fillcolor rgb '#202020' border lc rgb '#888888' margins 8,6\n"
     << "set label 1 \"" << box << "\" at graph 0.03, graph 0.62 left front boxed "
     << "textcolor rgb '#eeeeee'\n"
     << "plot ";
  if (noise) {
    gp << "'fit.csv' skip 1 using 1:3 with points pt 7 ps 0.3 lc rgb '#70aaaaaa' notitle, \\\n"
          "  NaN with points pt 7 ps 1 lc rgb '#aaaaaa' title 'noisy samples', \\\n  ";
  }
  gp << "'fit.csv' skip 1 using 1:2 with lines lw 3 lc rgb '#b22222' title 'target', \\\n"
     << "  'fit.csv' skip 1 using 1:4 with lines lw 2 lc rgb '#4682b4' title 'prediction'\n";
  return examples::plot(out / "fit.gp", gp.str());
}

bool plot_learning_curve(const fs::path& out, const nn::History& history) {
  std::vector<double> epoch, steps, mse, half;
  for (const nn::EpochLog& log : history.epochs) {
    epoch.push_back(static_cast<double>(log.epoch));
    steps.push_back(static_cast<double>(log.steps));
    mse.push_back(log.train_loss);
    half.push_back(log.train_loss / 2);
  }
  examples::write_csv(out / "history.csv", {"epoch", "steps", "mse", "half_mse"},
                      {epoch, steps, mse, half});
  std::ostringstream gp;
  gp << examples::png_terminal(800, 480) << "set output 'learning_curve.png'\n"
     << "set datafile separator ','\nset grid lc rgb '#d0d0d0'\nset key top right\n"
     << "set xlabel 'epoch'\nset ylabel 'MSE'\nset logscale y\n"
     << "set title 'Training loss (mean over the batches of each epoch)'\n"
     << "plot 'history.csv' skip 1 using 1:3 with lines lw 2 lc rgb '#4682b4' title 'MSE', \\\n"
     << "  " << 2 * kNotebookHalfMse << " with lines dt 2 lw 2 lc rgb '#b22222' "
     << "title \"the notebook's final MSE (2 x 0.0226)\"\n";
  return examples::plot(out / "learning_curve.gp", gp.str());
}

int run(const Config& c) {
  const fs::path out = c.out;
  fs::create_directories(out);

  // x: (N, 1) evenly spaced over [0, 5]; y = curve(x) (+ noise); features: (N, 6).
  const Tensor x = reshape(
      arange(0.0, static_cast<double>(c.samples), 1.0) * (5.0 / static_cast<double>(c.samples - 1)),
      {-1, 1});
  const Tensor clean = curve(x);
  Generator generator(c.seed);
  const Tensor y = c.noise > 0 ? clean + randn(clean.shape(), generator) * c.noise : clean;
  const Tensor features = data::expand_features(x);

  models::MLP::Options mo;
  mo.hidden = c.hidden;
  mo.activation = models::parse_activation(c.activation);
  mo.task = models::Task::regression;
  mo.normalization = models::parse_normalization(c.normalization);
  mo.init = nn::parse_init(c.init);
  mo.seed = c.seed;
  mo.activation_on_output = c.notebook_output;
  models::MLP mlp(mo);

  models::TrainOptions fo;
  fo.epochs = c.epochs;
  fo.batch_size = c.batch_size;
  fo.learning_rate = c.lr;
  fo.optimizer = models::parse_solver(c.optimizer);
  fo.seed = c.seed;
  const std::size_t every = std::max<std::size_t>(1, c.epochs / 10);
  fo.callbacks.push_back([&](nn::Trainer&, const nn::EpochLog& log) {
    if (c.quiet || (log.epoch % every != 0 && log.epoch != 1)) return;
    std::cout << "epoch " << std::setw(5) << log.epoch << "/" << c.epochs << "  steps "
              << std::setw(7) << grouped(log.steps) << "  MSE " << fixed(log.train_loss, 5)
              << "  (half: " << fixed(log.train_loss / 2, 5) << ")\n";
  });

  std::string shape = "6";
  for (std::size_t units : c.hidden) shape += "-" + std::to_string(units);
  std::cout << kProgram << ": y = cos(x/2 - 0.5) + 0.15 x^2 - cos(0.2 x^3) + sin(0.5 x^2) at "
            << grouped(c.samples) << " points of [0, 5]"
            << (c.noise > 0 ? ", noise " + fixed(c.noise, 3) : std::string()) << "\n"
            << "network " << shape << "-1 " << c.activation << ", "
            << (c.notebook_output ? "activation on the output (the notebook's)" : "linear output")
            << ", inputs " << c.normalization << ", init " << c.init << "; " << c.optimizer
            << " lr " << c.lr << ", batch " << c.batch_size << ", " << c.epochs << " epochs\n";

  const auto start = std::chrono::steady_clock::now();
  const nn::History& history = mlp.fit(features, y, fo);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const Tensor predicted = mlp.predict(features);  // (N,)
  const Tensor y_flat = reshape(y, {-1});
  const double mse = metrics::mean_squared_error(predicted, y_flat);
  const double r2 = metrics::r2_score(predicted, y_flat);
  const std::size_t parameters = mlp.module().parameter_count();
  const std::size_t steps = history.epochs.back().steps;
  std::cout << grouped(parameters) << " parameters, " << grouped(steps) << " steps in "
            << fixed(seconds, 1) << " s\n"
            << "final MSE " << fixed(mse, 5) << ", half MSE " << fixed(mse / 2, 5)
            << " (the notebook's loss: " << kNotebookHalfMse << " after 50,000 steps), R^2 "
            << fixed(r2, 4) << "\n";
  if (c.noise > 0) {
    const double noiseless = metrics::mean_squared_error(predicted, reshape(clean, {-1}));
    std::cout << "MSE against the noiseless curve " << fixed(noiseless, 5) << "\n";
  }

  const std::string box = "Training steps: " + grouped(steps) +
                          "\\nParameters: " + grouped(parameters) +
                          "\\nLoss: " + fixed(mse / 2, 5) + " (half MSE)";
  const bool fit_drawn =
      plot_fit(out, values(x), values(clean), values(y), values(predicted), box, c.noise > 0);
  const bool drawn = plot_learning_curve(out, history) && fit_drawn;
  if (drawn) {
    std::cout << "pictures: " << (out / "fit.png").string() << ", "
              << (out / "learning_curve.png").string()
              << " (data and gnuplot scripts beside them)\n";
  } else {
    std::cout << "plot data and scripts (no pictures without gnuplot): " << out.string() << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"The ML-from-Scratch regression demo: an MLP fitting a 1-D curve"};
  app.option_defaults()->always_capture_default();  // --help shows every default
  app.add_option("--samples", c.samples, "Points on [0, 5]")->check(CLI::Range(10, 10000000));
  app.add_option("--noise", c.noise, "Standard deviation of Gaussian noise on y")
      ->check(in_range(0, kNoLimit));
  app.add_option("--hidden", c.hidden, "Hidden layer widths")->delimiter(',');
  app.add_option("--activation", c.activation, "relu, sigmoid, tanh or leaky_relu");
  app.add_option("--init", c.init,
                 "Weight initialization (standard_normal: the notebook's N(0, 1))");
  app.add_option("--normalization", c.normalization,
                 "Input scaling: none (the notebook's), standard, minmax or global_minmax");
  app.add_option("--optimizer", c.optimizer, "sgd, momentum, nesterov, adam, adamw or rmsprop");
  app.add_option("--lr", c.lr, "Learning rate")->check(in_range(0, kNoLimit, true));
  app.add_option("--epochs", c.epochs, "Epochs")->check(CLI::Range(1, 1000000));
  app.add_option("--batch-size", c.batch_size, "Rows per step")->check(CLI::Range(1, 10000000));
  app.add_option("--seed", c.seed, "Seed of noise, weights and shuffling");
  app.add_flag("--notebook-output", c.notebook_output,
               "Apply the activation to the output layer too, as the notebook did");
  app.add_option("--out", c.out, "Folder for pictures and data");
  app.add_flag("--quiet", c.quiet, "Print the summary only");
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

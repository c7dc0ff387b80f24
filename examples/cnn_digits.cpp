// A small convolutional network on the 8x8 handwritten digits (data/digits.csv, 1,797 images,
// scikit-learn's copy of the UCI set): two conv blocks (3x3 convolution, batch norm, ReLU, 2x2 max
// pool) and a linear head, on int64 labels, trained with Adam on a fixed stratified 70/30 split,
// beside an MLP (models::MLP) on the same split. Prints the test accuracy overall and per class and
// the confusion matrix, and draws the misclassified digits, the learned first-layer filters, the
// confusion matrix and the training curves.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
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
using namespace xgrad::examples;
namespace fs = std::filesystem;

namespace {

constexpr const char* kProgram = "cnn_digits";
constexpr std::size_t kClasses = 10;

struct Config {
  std::string csv = "data/digits.csv";
  std::size_t channels = 16;  // of the first block; the second has twice as many
  std::size_t epochs = 30;
  std::size_t batch_size = 64;
  double lr = 0.01;
  double test_fraction = 0.3;
  std::uint64_t seed = 0;
  std::string out = "out/cnn_digits";
  bool quiet = false;
};

// 3x3 convolution (padding 1 keeps the size; no bias, batch norm's shift takes its place), batch
// norm, ReLU, 2x2 max pool: halves the image.
std::shared_ptr<nn::Sequential> conv_block(std::size_t in, std::size_t out, Generator& generator) {
  auto block = std::make_shared<nn::Sequential>();
  block->push_back(std::make_shared<nn::Conv2d>(in, out, 3, 1, 1, 1, 1, false, generator));
  block->push_back(std::make_shared<nn::BatchNorm2d>(out));
  block->push_back(std::make_shared<nn::ReLU>());
  block->push_back(std::make_shared<nn::MaxPool2d>(2));
  return block;
}

// (N, 64) pixels -> (N, 1, 8, 8) -> block (N, c, 4, 4) -> block (N, 2c, 2, 2) -> (N, 10) logits.
std::shared_ptr<nn::Sequential> make_cnn(std::size_t channels, Generator& generator) {
  auto net = std::make_shared<nn::Sequential>();
  net->push_back(std::make_shared<nn::Unflatten>(1, std::vector<std::size_t>{1, 8, 8}));
  net->push_back(conv_block(1, channels, generator));
  net->push_back(conv_block(channels, 2 * channels, generator));
  net->push_back(std::make_shared<nn::Flatten>());
  net->push_back(std::make_shared<nn::Linear>(2 * channels * 4, kClasses, true,
                                              nn::Init::pytorch_default, generator));
  return net;
}

Tensor predict(nn::Module& net, const Tensor& x) {
  no_grad guard;
  net.eval();
  const std::vector<std::int64_t> classes = metrics::argmax(net(x), 1);
  net.train();
  return from_vector(classes, {classes.size()}, int64);
}

void print_report(const std::string& name, const Tensor& predicted, const Tensor& truth) {
  const auto matrix = metrics::confusion_matrix(predicted, truth, kClasses);
  std::cout << name << ": test accuracy " << fixed(100 * metrics::accuracy(predicted, truth), 1)
            << "%\n  per class:";
  for (std::size_t k = 0; k < kClasses; ++k) {
    std::int64_t total = 0;
    for (std::int64_t v : matrix[k]) total += v;
    std::cout << "  " << k << ": "
              << fixed(100.0 * matrix[k][k] / std::max<std::int64_t>(1, total), 1) << "%";
  }
  std::cout << "\n";
}

// A datablock named `name` holding a rows x cols image (row 0 on top in the picture).
std::string datablock(const std::string& name, const double* v, std::size_t rows,
                      std::size_t cols) {
  std::ostringstream out;
  out << "$" << name << " << EOD\n";
  for (std::size_t r = rows; r-- > 0;) {
    for (std::size_t c = 0; c < cols; ++c) out << (c ? " " : "") << v[r * cols + c];
    out << "\n";
  }
  out << "EOD\n";
  return out.str();
}

// Images drawn in a grid, one per cell, with a title each.
std::string image_grid(const std::vector<std::vector<double>>& images, std::size_t side,
                       const std::vector<std::string>& titles, std::size_t columns,
                       const std::string& palette) {
  std::ostringstream gp;
  for (std::size_t i = 0; i < images.size(); ++i) {
    gp << datablock("img" + std::to_string(i), images[i].data(), side, side);
  }
  const std::size_t rows = (images.size() + columns - 1) / columns;
  gp << "set multiplot layout " << rows << "," << columns << "\n"
     << "unset colorbox\nunset tics\nunset border\nset size ratio -1\n"
     << "set palette " << palette << "\n";
  for (std::size_t i = 0; i < images.size(); ++i) {
    gp << "set title '" << titles[i] << "'\nplot $img" << i
       << " matrix with image pixels notitle\n";
  }
  gp << "unset multiplot\n";
  return gp.str();
}

bool plot_misclassified(const fs::path& out, const Tensor& x, const Tensor& truth,
                        const Tensor& predicted) {
  const std::vector<double> pixels = values(x), t = values(truth), p = values(predicted);
  std::vector<std::vector<double>> images;
  std::vector<std::string> titles;
  std::vector<std::vector<double>> columns(3);
  for (std::size_t i = 0; i < t.size() && images.size() < 40; ++i) {
    if (t[i] == p[i]) continue;
    images.emplace_back(pixels.begin() + static_cast<long>(i * 64),
                        pixels.begin() + static_cast<long>((i + 1) * 64));
    titles.push_back("true " + std::to_string(int(t[i])) + ", pred " + std::to_string(int(p[i])));
    columns[0].push_back(static_cast<double>(i));
    columns[1].push_back(t[i]);
    columns[2].push_back(p[i]);
  }
  write_csv(out / "misclassified.csv", {"test_row", "true", "predicted"}, columns);
  if (images.empty()) return plot(out / "misclassified.gp", "# no misclassified test digit\n");
  const std::size_t cols = std::min<std::size_t>(8, images.size());
  const int height = static_cast<int>(180 * ((images.size() + cols - 1) / cols)) + 20;
  std::ostringstream gp;
  gp << png_terminal(static_cast<int>(160 * cols), height) << "set output 'misclassified.png'\n"
     << image_grid(images, 8, titles, cols, "gray negative");
  return plot(out / "misclassified.gp", gp.str());
}

bool plot_filters(const fs::path& out, const Tensor& weight) {
  const std::vector<double> w = values(weight);  // (channels, 1, 3, 3)
  const std::size_t count = weight.size(0);
  std::vector<std::vector<double>> images;
  std::vector<std::string> titles;
  for (std::size_t k = 0; k < count; ++k) {
    images.emplace_back(w.begin() + static_cast<long>(9 * k),
                        w.begin() + static_cast<long>(9 * (k + 1)));
    titles.push_back("filter " + std::to_string(k));
  }
  const std::size_t cols = std::min<std::size_t>(8, count);
  std::ostringstream gp;
  gp << png_terminal(static_cast<int>(150 * cols),
                     static_cast<int>(170 * ((count + cols - 1) / cols)))
     << "set output 'filters.png'\n"
     << image_grid(images, 3, titles, cols, "defined (-1 '#2166ac', 0 'white', 1 '#b2182b')");
  return plot(out / "filters.gp", gp.str());
}

bool plot_confusion(const fs::path& out, const std::vector<std::vector<std::int64_t>>& matrix) {
  std::vector<std::vector<double>> columns(3);
  std::ostringstream labels;
  for (std::size_t t = 0; t < kClasses; ++t) {
    for (std::size_t p = 0; p < kClasses; ++p) {
      columns[0].push_back(static_cast<double>(p));
      columns[1].push_back(static_cast<double>(t));
      columns[2].push_back(static_cast<double>(matrix[t][p]));
      labels << "set label '" << matrix[t][p] << "' at " << p << "," << t << " center front "
             << (t == p ? "textcolor rgb 'white'\n" : "\n");
    }
  }
  write_csv(out / "confusion.csv", {"predicted", "true", "count"}, columns);
  std::ostringstream gp;
  gp << png_terminal(640, 600) << "set output 'confusion.png'\nset datafile separator ','\n"
     << "set title 'CNN confusion matrix (test split)'\nset xlabel 'predicted'\n"
     << "set ylabel 'true'\nset xrange [-0.5:9.5]\nset yrange [9.5:-0.5]\nset xtics 0,1,9\n"
     << "set ytics 0,1,9\nset palette defined (0 'white', 1 '#9ecae1', 60 '#08306b')\n"
     << "set cbrange [0:60]\n"
     << labels.str() << "plot 'confusion.csv' skip 1 using 1:2:3 with image notitle\n";
  return plot(out / "confusion.gp", gp.str());
}

// Training loss and test accuracy per epoch, of the CNN and of the MLP.
bool plot_curves(const fs::path& out, const nn::History& cnn, const nn::History& mlp) {
  std::vector<std::vector<double>> columns(5);
  for (std::size_t e = 0; e < cnn.epochs.size(); ++e) {
    columns[0].push_back(static_cast<double>(cnn.epochs[e].epoch));
    columns[1].push_back(cnn.epochs[e].train_loss);
    columns[2].push_back(cnn.epochs[e].val_metric);
    const bool has_mlp = e < mlp.epochs.size();
    columns[3].push_back(has_mlp ? mlp.epochs[e].train_loss : 0.0 / 0.0);
    columns[4].push_back(has_mlp ? mlp.epochs[e].val_metric : 0.0 / 0.0);
  }
  write_csv(out / "history.csv",
            {"epoch", "cnn_train_loss", "cnn_test_accuracy", "mlp_train_loss", "mlp_test_accuracy"},
            columns);
  std::ostringstream gp;
  gp << png_terminal(1100, 440) << "set output 'curves.png'\nset datafile separator ','\n"
     << "set multiplot layout 1,2\nset grid lc rgb '#d0d0d0'\nset xlabel 'epoch'\n"
     << "set title 'Training loss (cross-entropy)'\nset logscale y\n"
     << "plot 'history.csv' skip 1 using 1:2 with lines lw 2 lc rgb '#b22222' title 'CNN', \\\n"
     << "  '' skip 1 using 1:4 with lines lw 2 lc rgb '#4682b4' title 'MLP'\n"
     << "unset logscale y\nset key bottom right\nset title 'Test accuracy (%)'\n"
     << "set yrange [90:100]\n"
     << "plot 'history.csv' skip 1 using 1:($3*100) with lines lw 2 lc rgb '#b22222' "
        "title 'CNN', \\\n"
     << "  '' skip 1 using 1:($5*100) with lines lw 2 lc rgb '#4682b4' title 'MLP'\n"
     << "unset multiplot\n";
  return plot(out / "curves.gp", gp.str());
}

double accuracy_of_logits(const Tensor& logits, const Tensor& target) {
  const std::vector<std::int64_t> classes = metrics::argmax(logits, 1);
  const std::vector<std::int64_t> t = target.to_vector<std::int64_t>();
  std::size_t right = 0;
  for (std::size_t i = 0; i < t.size(); ++i) right += classes[i] == t[i];
  return static_cast<double>(right) / static_cast<double>(t.size());
}

int run(const Config& c) {
  const fs::path out = c.out;
  fs::create_directories(out);
  // the digit column as int64 class indices, as cross_entropy takes them
  auto [pixels, labels] = data::load_csv(c.csv, "digit", float32, ',', int64);
  const Tensor x = pixels / 16.0;  // counts 0-16 onto [0, 1]
  const data::TrainTestSplit split =
      data::train_test_split(x, labels, c.test_fraction, c.seed, /*stratify=*/true);
  std::cout << kProgram << ": " << grouped(x.size(0)) << " 8x8 digits, stratified split "
            << grouped(split.x_train.size(0)) << " train / " << grouped(split.x_test.size(0))
            << " test\n";

  Generator generator(c.seed);
  auto cnn = make_cnn(c.channels, generator);
  if (!c.quiet) std::cout << *cnn << "\n";
  optim::Adam adam(cnn->parameters(), c.lr);
  // The rate falls along half a cosine to zero over the run: the last epochs settle into a
  // minimum instead of hopping around it at the full rate.
  optim::CosineAnnealingLR schedule(adam, static_cast<long>(c.epochs));
  nn::CrossEntropyLoss loss;
  nn::FitOptions options;
  options.callbacks.push_back([&schedule](nn::Trainer&, const nn::EpochLog&) { schedule.step(); });
  options.epochs = c.epochs;
  options.batch_size = c.batch_size;
  options.seed = c.seed;
  options.metric = accuracy_of_logits;
  options.metric_name = "accuracy";
  options.restore_best = false;  // the test split is for reporting, not for choosing weights
  options.verbosity = c.quiet ? nn::Verbosity::silent : nn::Verbosity::automatic;
  const data::Dataset train(split.x_train, split.y_train), test(split.x_test, split.y_test);
  const auto start = std::chrono::steady_clock::now();
  nn::Trainer trainer(*cnn, adam, std::ref(loss), options);
  const nn::History cnn_history = trainer.fit(train, &test);
  const double cnn_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // The MLP on the same split: 64-64 ReLU, standardized inputs, Adam. models::MLP takes float
  // labels that are whole numbers.
  const Tensor y_train_float = split.y_train.to(float32), y_test_float = split.y_test.to(float32);
  models::MLP::Options mo;
  mo.seed = c.seed;
  models::MLP mlp(mo);
  models::TrainOptions fo;
  fo.epochs = c.epochs;
  fo.batch_size = c.batch_size;
  fo.learning_rate = c.lr;
  fo.optimizer = models::Solver::adam;
  fo.seed = c.seed;
  nn::History mlp_history;
  fo.callbacks.push_back([&](nn::Trainer&, const nn::EpochLog& log) {
    nn::EpochLog row = log;
    row.val_metric = mlp.score(split.x_test, y_test_float);
    mlp_history.epochs.push_back(row);
  });
  const auto mlp_start = std::chrono::steady_clock::now();
  mlp.fit(split.x_train, y_train_float, fo);
  const double mlp_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - mlp_start).count();

  const Tensor cnn_predicted = predict(*cnn, split.x_test);
  const Tensor mlp_predicted = mlp.predict(split.x_test);
  std::cout << "CNN: " << cnn->parameter_count() << " parameters, " << c.epochs << " epochs in "
            << fixed(cnn_seconds, 1) << " s; MLP 64-64: " << mlp.module().parameter_count()
            << " parameters, " << fixed(mlp_seconds, 1) << " s\n";
  print_report("CNN", cnn_predicted, split.y_test);
  print_report("MLP", mlp_predicted, split.y_test);
  const auto matrix = metrics::confusion_matrix(cnn_predicted, split.y_test, kClasses);
  std::cout << "CNN confusion matrix (rows: true digit, columns: predicted):\n    ";
  for (std::size_t k = 0; k < kClasses; ++k) std::cout << std::setw(5) << k;
  std::cout << "\n";
  for (std::size_t t = 0; t < kClasses; ++t) {
    std::cout << std::setw(4) << t;
    for (std::int64_t v : matrix[t]) std::cout << std::setw(5) << v;
    std::cout << "\n";
  }

  auto first = std::dynamic_pointer_cast<nn::Conv2d>(
      std::dynamic_pointer_cast<nn::Sequential>((*cnn)[1])->operator[](0));
  bool drawn = plot_misclassified(out, split.x_test, split.y_test, cnn_predicted);
  drawn = plot_filters(out, first->weight) && drawn;
  drawn = plot_confusion(out, matrix) && drawn;
  drawn = plot_curves(out, cnn_history, mlp_history) && drawn;
  report_pictures(out, "misclassified.png, filters.png, confusion.png, curves.png");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"A small CNN on the 8x8 handwritten digits, beside an MLP on the same split"};
  app.option_defaults()->always_capture_default();
  app.add_option("--csv", c.csv, "The digits CSV (64 pixel columns, then 'digit')")
      ->check(CLI::ExistingFile);
  app.add_option("--channels", c.channels, "Channels of the first conv block (the second: 2x)")
      ->check(CLI::Range(1, 512));
  app.add_option("--epochs", c.epochs, "Epochs")->check(CLI::Range(1, 100000));
  app.add_option("--batch-size", c.batch_size, "Images per step")->check(CLI::Range(1, 100000));
  app.add_option("--lr", c.lr, "Adam's initial learning rate (cosine-annealed to 0)")
      ->check(in_range(0, kNoLimit, true));
  app.add_option("--test-fraction", c.test_fraction, "Held-out fraction, stratified")
      ->check(CLI::Range(0.05, 0.9));
  app.add_option("--seed", c.seed, "Seed of the split, the weights and the shuffling");
  app.add_option("--out", c.out, "Folder for pictures and data");
  app.add_flag("--quiet", c.quiet, "No progress bar and no network print");
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

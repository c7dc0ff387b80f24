// Binary logistic regression by gradient descent, with an animated picture of the decision boundary
// as it trains. By default the "ML from Scratch" notebook's demo: make_classification (1,000
// samples, 2 features, one cluster per class, class_sep 1.0), weights and bias from U[0, 1),
// full-batch descent at learning rate 0.1 for up to 10,000 steps, stopped when the training loss
// improves by less than 1e-7. With --csv it fits a real data set on a seeded, stratified 80/20
// train/test split and reports accuracy, precision, recall, F1 and the confusion matrix.
#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/cli.hpp"
#include "common/format.hpp"
#include "common/plot.hpp"
#include "models/models.hpp"
#include "nn/data/csv.hpp"
#include "nn/data/generators.hpp"
#include "nn/data/preprocessing.hpp"
#include "nn/linear.hpp"
#include "nn/metrics.hpp"

using namespace xgrad;
namespace fs = std::filesystem;

using namespace xgrad::examples;

namespace {

struct Settings {
  std::size_t samples = 1000;
  double class_sep = 1.0;
  // The notebook's data were unseeded. Across seeds a line separates such data to 87-99.8%
  // (median 95.5%, with scikit-learn's generator and xgrad's alike); seed 10 draws data as hard as
  // the notebook's: descent stops near step 7,400 at 97.4% (the notebook: step 6,123, 97.1%).
  std::uint64_t seed = 10;
  std::uint64_t init_seed = 0;
  std::size_t epochs = 10000;
  double lr = 0.1;
  std::string optimizer = "sgd";
  std::size_t batch_size = 0;
  double l2 = 0, threshold = 0.5;
  bool no_early_stopping = false;
  double min_delta = 1e-7;
  std::size_t patience = 0;
  std::string normalize;  // empty: standard for a CSV, none for generated data
  std::string dtype = "float32";
  std::string csv, target;
  std::string out = "out/logistic_regression";
  bool quiet = false;
  std::size_t frames = 40;
};

constexpr double kTestFraction = 0.2;
const std::string kBlue = "#4682b4", kRed = "#b22222";  // matplotlib's steelblue and firebrick
// The half-planes' shading: 30% of those colours over the black background, blended beforehand
// because gnuplot's GIF terminal (libgd) draws no transparency.
const std::string kBlueShade = "#152736", kRedShade = "#350a0a";

// What to fit: x (N, D) and class indices y (N,), and a test split for CSV data.
struct Problem {
  Tensor x_train, y_train, x_test, y_test;
  std::vector<std::string> names;
  std::string target = "y";
};

// The decision function w0 x0 + w1 x1 + b of a 2-feature model, in the units of the inputs.
struct Line {
  double w0 = 0, w1 = 0, b = 0;
};

struct Frame {
  std::size_t step = 0;
  Line line;
  double accuracy = 0;
};

Problem generated_problem(const Settings& s) {
  Generator generator(s.seed);
  data::Samples samples = data::make_classification(s.samples, 2, 2, 2, 1, s.class_sep, generator);
  return Problem{samples.x, samples.y, Tensor(), Tensor(), {"x0", "x1"}, "class"};
}

Problem csv_problem(const Settings& s) {
  const data::CsvTable table = data::read_csv(s.csv);
  if (table.columns.size() < 2) {
    throw std::invalid_argument(s.csv + " has " + std::to_string(table.columns.size()) +
                                " column; a feature column and a target column are needed");
  }
  const std::size_t target =
      s.target.empty() ? table.columns.size() - 1 : table.column_index(s.target);
  const std::size_t rows = table.rows(), features = table.columns.size() - 1;
  const auto& v = table.values.data<double>();
  xt::xarray<double> x = xt::xarray<double>::from_shape({rows, features});
  xt::xarray<double> y = xt::xarray<double>::from_shape({rows});
  Problem p;
  for (std::size_t c = 0, j = 0; c < table.columns.size(); ++c) {
    if (c == target) continue;
    for (std::size_t r = 0; r < rows; ++r) x(r, j) = v(r, c);
    p.names.push_back(table.columns[c]);
    ++j;
  }
  for (std::size_t r = 0; r < rows; ++r) {
    y(r) = v(r, target);
    if (!(y(r) >= 0) || std::floor(y(r)) != y(r)) {
      throw std::invalid_argument(s.csv + ":" + std::to_string(table.lines[r]) + ": target '" +
                                  table.columns[target] + "' is " + general(y(r)) +
                                  "; class labels must be 0, 1, ...");
    }
  }
  p.target = table.columns[target];
  data::TrainTestSplit split = data::train_test_split(Tensor(std::move(x)), Tensor(std::move(y)),
                                                      kTestFraction, s.seed, /*stratify=*/true);
  p.x_train = split.x_train;
  p.y_train = split.y_train;
  p.x_test = split.x_test;
  p.y_test = split.y_test;
  return p;
}

// The network is the InputScaler, then the Linear layer (models::Estimator::module()); folding the
// scaling in gives the weights in input units:
// ((x - shift) * scale) w + b = x (w * scale) + (b - sum(w * shift * scale)).
Line read_line(const nn::Module& network) {
  const auto& layers = dynamic_cast<const nn::Sequential&>(network);
  const auto scaler = std::dynamic_pointer_cast<models::InputScaler>(layers[0]);
  const auto linear = std::dynamic_pointer_cast<nn::Linear>(layers[1]);
  const std::vector<double> w = values(linear->weight), shift = values(scaler->shift()),
                            scale = values(scaler->scale());
  Line line{w[0] * scale[0], w[1] * scale[1], linear->bias.item()};
  line.b -= line.w0 * shift[0] + line.w1 * shift[1];
  return line;
}

// The decision function's value at the threshold: p > t exactly when w x + b > logit(t).
double logit(double t) {
  if (t <= 0) return -std::numeric_limits<double>::max();
  if (t >= 1) return std::numeric_limits<double>::max();
  return std::log(t / (1 - t));
}

double accuracy(const Line& line, const std::vector<double>& x, const std::vector<double>& y,
                double threshold) {
  const double z_threshold = logit(threshold);
  std::size_t correct = 0;
  for (std::size_t r = 0; r < y.size(); ++r) {
    const double z = line.w0 * x[2 * r] + line.w1 * x[2 * r + 1] + line.b;
    correct += (z > z_threshold ? 1.0 : 0.0) == y[r];
  }
  return static_cast<double>(correct) / static_cast<double>(y.size());
}

// The notebook's snapshots: step 0, steps 1 to 10 (the loss falls fast), every 1,000 steps and the
// last; evenly thinned to at most max_frames, keeping the first and the last.
std::vector<std::size_t> frame_steps(std::size_t last, std::size_t max_frames) {
  std::vector<std::size_t> steps;
  for (std::size_t s = 0; s <= std::min<std::size_t>(10, last); ++s) steps.push_back(s);
  for (std::size_t s = 1000; s < last; s += 1000) steps.push_back(s);
  if (steps.back() != last) steps.push_back(last);
  if (steps.size() <= max_frames) return steps;
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < max_frames; ++i) {
    kept.push_back(steps[i * (steps.size() - 1) / std::max<std::size_t>(1, max_frames - 1)]);
  }
  kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  return kept;
}

// "f(x) = −3.874 x0 − 2.754 x1 + 2.618", with true minus signs; x_0 for gnuplot's subscripts.
std::string formula(const Line& line, const std::string& x0 = "x0", const std::string& x1 = "x1") {
  auto term = [](double v, const std::string& name, bool first) {
    const std::string sign = v < 0 ? (first ? "−" : " − ") : (first ? "" : " + ");
    return sign + fixed(std::fabs(v), 3) + name;
  };
  return "f(x) = " + term(line.w0, " " + x0, true) + term(line.w1, " " + x1, false) +
         term(line.b, "", false);
}

using Point = std::array<double, 2>;

// The part of a convex polygon where g >= 0 (one Sutherland–Hodgman pass), and the points where
// its edges cross g = 0.
std::vector<Point> clip(const std::vector<Point>& polygon, const Line& g, double level,
                        std::vector<Point>* crossings = nullptr) {
  auto value = [&](const Point& p) { return g.w0 * p[0] + g.w1 * p[1] + g.b - level; };
  std::vector<Point> out;
  for (std::size_t i = 0; i < polygon.size(); ++i) {
    const Point& p = polygon[i];
    const Point& q = polygon[(i + 1) % polygon.size()];
    const double gp = value(p), gq = value(q);
    if (gp >= 0) out.push_back(p);
    if ((gp >= 0) != (gq >= 0)) {
      const double t = gp / (gp - gq);
      const Point cross{p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])};
      out.push_back(cross);
      if (crossings) crossings->push_back(cross);
    }
  }
  return out;
}

std::string polygon_object(int id, const std::vector<Point>& polygon, const std::string& colour) {
  if (polygon.size() < 3) return "unset object " + std::to_string(id) + "\n";
  std::string s = "set object " + std::to_string(id) + " polygon from ";
  for (std::size_t i = 0; i <= polygon.size(); ++i) {  // closed: back to the first vertex
    const Point& p = polygon[i % polygon.size()];
    s += (i ? " to " : "") + general(p[0]) + "," + general(p[1]);
  }
  return s + " fillcolor rgb '" + colour + "' fillstyle solid 1.0 noborder behind\n";
}

// The gnuplot commands for the frames, over the fixed box [x0 range] x [x1 range]: half-planes
// shaded in the class colours, the boundary, the points (hollow where misclassified) and the text
// box. points.csv holds x0, x1 and the class.
std::string frame_commands(const std::vector<Frame>& frames, const std::array<double, 4>& box,
                           double threshold, const std::string& unit, double point_size) {
  const std::vector<Point> rectangle{
      {box[0], box[2]}, {box[1], box[2]}, {box[1], box[3]}, {box[0], box[3]}};
  const double level = logit(threshold);
  std::string s =
      "set datafile separator ','\nset border lc rgb '#c0c0c0'\nset tics textcolor rgb "
      "'#c0c0c0'\nset xlabel 'X_0' textcolor rgb '#e0e0e0'\nset ylabel 'X_1' textcolor rgb "
      "'#e0e0e0'\nset xrange [" +
      general(box[0]) + ":" + general(box[1]) + "]\nset yrange [" + general(box[2]) + ":" +
      general(box[3]) +
      "]\nset key bmargin center horizontal maxrows 1 textcolor rgb '#e0e0e0' samplen 1 width -3 "
      "Left reverse\n"
      "set tmargin 4\ndot = " +
      general(point_size) + "\nring = " + general(1.15 * point_size) + "\nzt = " + general(level) +
      "\n";
  const std::string wrong = "(w0 * $1 + w1 * $2 + b > zt ? 1 : 0) != $3";
  for (const Frame& f : frames) {
    const Line& l = f.line;
    const Line flipped{-l.w0, -l.w1, -l.b};
    std::vector<Point> ends;
    s += "w0 = " + general(l.w0) + "; w1 = " + general(l.w1) + "; b = " + general(l.b) + "\n";
    s += polygon_object(1, clip(rectangle, l, level, &ends), kRedShade);
    s += polygon_object(2, clip(rectangle, flipped, -level), kBlueShade);
    if (ends.size() == 2) {
      s += "set arrow 1 from " + general(ends[0][0]) + "," + general(ends[0][1]) + " to " +
           general(ends[1][0]) + "," + general(ends[1][1]) +
           " nohead lc rgb '#f0f0f0' lw 2 dt 2 front\n";
    } else {
      s += "unset arrow 1\n";
    }
    s += "set label 1 \"" + unit + ": " + grouped(f.step) + "   ·   " + formula(l, "x_0", "x_1") +
         "   ·   Acc: " + fixed(100 * f.accuracy, 1) +
         "%\" at screen 0.5, 0.955 center front textcolor rgb '#f0f0f0' boxed\n";
    s += "plot 'points.csv' skip 1 using 1:($3 == 0 && !(" + wrong +
         ") ? $2 : NaN) with points pt 7 ps dot lc rgb '" + kBlue +
         "' title 'class 0', \\\n"
         "  '' skip 1 using 1:($3 == 1 && !(" +
         wrong + ") ? $2 : NaN) with points pt 7 ps dot lc rgb '" + kRed +
         "' title 'class 1', \\\n"
         "  '' skip 1 using 1:($3 == 0 && (" +
         wrong + ") ? $2 : NaN) with points pt 6 ps ring lw 1.5 lc rgb '" + kBlue +
         "' notitle, \\\n"
         "  '' skip 1 using 1:($3 == 1 && (" +
         wrong + ") ? $2 : NaN) with points pt 6 ps ring lw 1.5 lc rgb '" + kRed +
         "' notitle, \\\n"
         "  NaN with points pt 6 ps ring lw 1.5 lc rgb '#e0e0e0' title 'misclassified'\n";
  }
  return s;
}

void plot_training(const fs::path& dir, const Problem& p, const std::vector<Frame>& frames,
                   double threshold, const std::string& unit) {
  const std::vector<double> x = values(p.x_train), y = values(p.y_train);
  std::vector<double> x0(y.size()), x1(y.size());
  std::array<double, 4> box{x[0], x[0], x[1], x[1]};
  for (std::size_t r = 0; r < y.size(); ++r) {
    x0[r] = x[2 * r], x1[r] = x[2 * r + 1];
    box = {std::min(box[0], x0[r]), std::max(box[1], x0[r]), std::min(box[2], x1[r]),
           std::max(box[3], x1[r])};
  }
  const double pad0 = 0.05 * (box[1] - box[0]) + 1e-9, pad1 = 0.05 * (box[3] - box[2]) + 1e-9;
  box = {box[0] - pad0, box[1] + pad0, box[2] - pad1, box[3] + pad1};
  examples::write_csv(dir / "points.csv", {p.names[0], p.names[1], p.target}, {x0, x1, y});
  std::vector<double> steps, w0, w1, b, acc;
  for (const Frame& f : frames) {
    steps.push_back(static_cast<double>(f.step));
    w0.push_back(f.line.w0), w1.push_back(f.line.w1), b.push_back(f.line.b);
    acc.push_back(f.accuracy);
  }
  examples::write_csv(dir / "frames.csv", {unit, "w0", "w1", "b", "accuracy"},
                      {steps, w0, w1, b, acc});
  // The animation: 33 hundredths of a second a frame, looping forever.
  const std::string style =
      "set encoding utf8\nset style textbox opaque fillcolor rgb '#202020' "
      "border lc rgb '#a0a0a0' margins 10, 6\n";
  examples::plot(dir / "training.gp",
                 "set terminal gif animate delay 33 loop 0 size 800,650 enhanced font "
                 "'DejaVu Sans,12' background '#000000'\nset output 'training.gif'\n" +
                     style + frame_commands(frames, box, threshold, unit, 1.3));
  examples::plot(dir / "decision_boundary.gp",
                 "set terminal pngcairo size 800,650 enhanced font 'DejaVu Sans,12' background "
                 "'#000000'\nset output 'decision_boundary.png'\n" +
                     style + frame_commands({frames.back()}, box, threshold, unit, 0.8));
}

void plot_learning_curve(const fs::path& dir, const nn::History& history, const std::string& unit) {
  history.to_csv((dir / "history.csv").string());
  const std::string curve =
      "plot 'history.csv' skip 1 using 1:2 with lines lw 2 lc rgb '" + kBlue + "' notitle\n";
  examples::plot(dir / "learning_curve.gp",
                 examples::png_terminal(1100, 450) +
                     "set output 'learning_curve.png'\nset datafile separator ','\nset grid\n"
                     "set multiplot layout 1,2 title 'Learning curve: binary cross-entropy'\n"
                     "set xlabel '" +
                     unit + "'\nset ylabel 'loss'\n" + curve +
                     "set logscale y\nset ylabel 'loss (log scale)'\n" + curve +
                     "unset multiplot\n");
}

// mean(log(1 + e^z) - y z), the binary cross-entropy of logits z, without overflow.
double binary_cross_entropy(const std::vector<double>& z, const std::vector<double>& y) {
  double sum = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    sum += std::max(z[i], 0.0) - z[i] * y[i] + std::log1p(std::exp(-std::fabs(z[i])));
  }
  return sum / static_cast<double>(z.size());
}

void report_classifier(const std::string& split, const Tensor& predicted, const Tensor& truth,
                       bool binary) {
  const metrics::Average average = binary ? metrics::Average::binary : metrics::Average::macro;
  std::cout << "  " << split << std::string(10 - split.size(), ' ') << "accuracy "
            << fixed(100 * metrics::accuracy(predicted, truth), 1) << "%, precision "
            << fixed(metrics::precision(predicted, truth, average), 3) << ", recall "
            << fixed(metrics::recall(predicted, truth, average), 3) << ", F1 "
            << fixed(metrics::f1_score(predicted, truth, average), 3)
            << (binary ? " (class 1 positive)" : " (macro average)") << "\n";
}

void print_confusion(const Tensor& predicted, const Tensor& truth, std::size_t classes) {
  const auto matrix = metrics::confusion_matrix(predicted, truth, classes);
  std::cout << "\nTest confusion matrix (rows: true class, columns: predicted class)\n"
            << "          ";
  for (std::size_t c = 0; c < classes; ++c) std::cout << "  pred " << c;
  std::cout << "\n";
  for (std::size_t t = 0; t < classes; ++t) {
    std::cout << "  true " << t << "  ";
    for (std::size_t c = 0; c < classes; ++c) {
      const std::string n = std::to_string(matrix[t][c]);
      std::cout << std::string(8 - std::min<std::size_t>(8, n.size()), ' ') << n;
    }
    std::cout << "\n";
  }
}

int run(const Settings& s) {
  const bool from_csv = !s.csv.empty();
  const Problem p = from_csv ? csv_problem(s) : generated_problem(s);
  const std::string normalize =
      s.normalize.empty() ? (from_csv ? "standard" : "none") : s.normalize;
  const std::string unit = s.batch_size == 0 ? "Step" : "Epoch";
  std::string lower = unit;
  lower[0] = static_cast<char>(std::tolower(lower[0]));

  models::LogisticRegression::Options model_options;
  model_options.init = nn::Init::uniform_unit;  // the notebook's start, not the model's default
  model_options.seed = s.init_seed;
  model_options.normalization = models::parse_normalization(normalize);
  model_options.dtype = s.dtype == "float64" ? float64 : float32;
  models::TrainOptions fit;
  fit.epochs = s.epochs;
  fit.batch_size = s.batch_size;
  fit.learning_rate = s.lr;
  fit.optimizer = models::parse_solver(s.optimizer);
  fit.l2 = s.l2;
  fit.early_stopping = !s.no_early_stopping;
  fit.patience = s.patience;
  fit.min_delta = s.min_delta;
  fit.seed = s.seed;

  if (from_csv) {
    std::cout << "Logistic regression on " << s.csv << ": " << p.names.size()
              << " features, target '" << p.target << "'; " << p.x_train.size(0) << " training and "
              << p.x_test.size(0) << " test rows (seeded stratified split, " << kTestFraction * 100
              << "% test)\n";
  } else {
    std::cout << "Logistic regression on make_classification: " << grouped(s.samples)
              << " samples, 2 features, 2 classes, 1 cluster per class, class_sep " << s.class_sep
              << " (seed " << s.seed << ")\n";
  }
  std::cout << "Model: weights and bias from U[0, 1) (seed " << s.init_seed << "), inputs scaled '"
            << normalize << "'" << (from_csv && s.normalize.empty() ? " (the default for CSV)" : "")
            << ", " << s.dtype << "; " << s.optimizer << ", learning rate " << s.lr << ", "
            << (s.batch_size == 0 ? "full batch" : "batches of " + std::to_string(s.batch_size))
            << (s.l2 > 0 ? ", L2 " + general(s.l2) : "") << "; up to " << grouped(s.epochs) << " "
            << lower << "s";
  if (fit.early_stopping) {
    std::cout << ", early stopping when the training loss improves by less than " << s.min_delta
              << " (patience " << s.patience << ")";
  }
  std::cout << "\n\n";

  const std::vector<double> x_train = values(p.x_train), y_train = values(p.y_train);
  std::size_t classes = 2;
  for (const Tensor& labels : {p.y_train, p.y_test}) {
    if (!labels.defined()) continue;
    for (double label : values(labels)) {
      // Checked before the conversion: a label of -1 or 1e30 would be undefined behaviour.
      const double top = label >= 0 && label < 1e9 ? label : 1e9;
      classes = std::max(classes, static_cast<std::size_t>(top) + 1);
    }
  }
  if (classes > 20) {
    throw std::invalid_argument("target '" + p.target + "' has labels up to " +
                                std::to_string(classes - 1) +
                                "; this example takes at most 20 classes (is it a regression "
                                "target? see linear_regression)");
  }
  const bool binary = classes == 2;
  // The animation needs the boundary after every step: a callback reads it from the network.
  const bool animate = p.names.size() == 2 && binary;
  std::vector<Line> lines;  // lines[e]: after e epochs
  if (animate) {
    // Step 0, the model's own U[0, 1) start: a fit of one step at learning rate 0 builds the
    // network exactly as the real fit will (same seed) and leaves its weights as drawn.
    models::LogisticRegression start(model_options);
    models::TrainOptions still;
    still.epochs = 1;
    still.learning_rate = 0;
    start.fit(p.x_train, p.y_train, still);
    lines.push_back(read_line(start.module()));
    fit.callbacks.push_back([&](nn::Trainer& trainer, const nn::EpochLog&) {
      lines.push_back(read_line(trainer.model()));
    });
  }
  const std::size_t every = std::max<std::size_t>(1, s.epochs / 10);
  if (!s.quiet) {
    fit.callbacks.push_back([&](nn::Trainer&, const nn::EpochLog& log) {
      if (log.epoch % every != 0 && log.epoch != 1) return;
      std::cout << lower << " "
                << std::string(grouped(s.epochs).size() - grouped(log.epoch).size(), ' ')
                << grouped(log.epoch) << "/" << grouped(s.epochs) << " | loss " << log.train_loss
                << "\n";
    });
  }

  models::LogisticRegression model(model_options);
  const auto begin = std::chrono::steady_clock::now();
  const nn::History& history = model.fit(p.x_train, p.y_train, fit);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();

  const std::size_t ran = history.epochs.size(), kept = history.weights_after_epoch;
  if (history.stopped_early) {
    std::cout << "\nStopped early at " << lower << " " << grouped(ran) << " of "
              << grouped(s.epochs) << ": the loss improved by less than " << s.min_delta
              << "; the model keeps the weights after " << lower << " " << grouped(kept);
  } else {
    std::cout << "\nRan all " << grouped(ran) << " " << lower << "s";
  }
  std::cout << " (" << fixed(seconds, 3) << " s)";
  // The loss of the weights the model holds, computed afresh: an epoch's train_loss in the history
  // was measured during the epoch, before its steps, so it belongs to earlier weights.
  if (binary) {
    std::cout << "; their training loss is "
              << binary_cross_entropy(values(model.decision_function(p.x_train)), y_train);
  }
  std::cout << "\n\n";

  const Tensor predicted = model.predict(p.x_train, s.threshold);
  if (animate) std::cout << "  " << formula(read_line(model.module())) << "\n";
  report_classifier("training:", predicted, p.y_train, binary);
  if (from_csv) {
    const Tensor predicted_test = model.predict(p.x_test, s.threshold);
    report_classifier("test:", predicted_test, p.y_test, binary);
    print_confusion(predicted_test, p.y_test, classes);
  }

  const fs::path dir = s.out;
  fs::create_directories(dir);
  plot_learning_curve(dir, history, lower);
  std::string pictures = "learning_curve.png";
  if (animate) {
    std::vector<Frame> frames;
    for (std::size_t step : frame_steps(kept, s.frames)) {
      frames.push_back({step, lines[step], accuracy(lines[step], x_train, y_train, s.threshold)});
    }
    plot_training(dir, p, frames, s.threshold, unit);
    pictures = "training.gif (" + std::to_string(frames.size()) +
               " frames), decision_boundary.png (the last frame), " + pictures;
  } else {
    pictures += " (no boundary animation: it needs 2 features and 2 classes)";
  }
  examples::report_pictures(dir, pictures);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Binary logistic regression by gradient descent, with an animated decision boundary: the "
      "\"ML from Scratch\" notebook's demo on make_classification data, or a CSV data set"};
  app.option_defaults()->always_capture_default();  // --help shows every default
  Settings s;
  const CLI::Validator positive = in_range(0, kNoLimit, true), non_negative = in_range(0, kNoLimit);
  auto* samples =
      app.add_option("--samples", s.samples, "Generated samples")->check(in_range(2, kNoLimit));
  auto* class_sep =
      app.add_option("--class-sep", s.class_sep, "Class centres at +-class_sep per axis")
          ->check(positive);
  app.add_option("--seed", s.seed, "Seeds the data, the train/test split and the shuffling");
  app.add_option("--init-seed", s.init_seed, "Seeds the initial weights");
  app.add_option("--epochs", s.epochs, "Most epochs (with full batches: steps)")->check(positive);
  app.add_option("--lr", s.lr, "Learning rate")->check(non_negative);
  app.add_option("--optimizer", s.optimizer, "Optimizer")
      ->check(CLI::IsMember({"sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop"}));
  app.add_option("--batch-size", s.batch_size, "Rows per step; 0 = full batch");
  app.add_option("--l2", s.l2, "L2 penalty on the weights")->check(non_negative);
  app.add_option("--threshold", s.threshold, "Predict class 1 when P(class 1) > threshold")
      ->check(in_range(0, 1));
  app.add_flag("--no-early-stopping", s.no_early_stopping, "Run every epoch");
  app.add_option("--min-delta", s.min_delta, "Smallest loss improvement that counts")
      ->check(non_negative);
  app.add_option("--patience", s.patience, "Epochs without improvement before stopping");
  app.add_option("--normalize", s.normalize, "Input scaling (default: none; standard for --csv)")
      ->check(CLI::IsMember({"none", "standard", "minmax", "global_minmax"}));
  app.add_option("--dtype", s.dtype, "The model's float type")
      ->check(CLI::IsMember({"float32", "float64"}));
  auto* csv = app.add_option("--csv", s.csv, "Fit this CSV file (header row, numeric columns)")
                  ->check(CLI::ExistingFile);
  app.add_option("--target", s.target, "Class column of the CSV (default: the last)")->needs(csv);
  csv->excludes(samples)->excludes(class_sep);
  app.add_option("--out", s.out, "Folder for the pictures and their data");
  app.add_flag("--quiet", s.quiet, "No progress lines");
  app.add_option("--frames", s.frames, "Most frames in the animation")
      ->check(in_range(2, kNoLimit));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "logistic_regression: " << e.what() << " (see --help)\n";
    return 2;
  }
  try {
    return run(s);
  } catch (const nn::TrainingDiverged& e) {
    std::cerr << "logistic_regression: " << e.what() << " (try a smaller --lr)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "logistic_regression: " << e.what() << "\n";
    return 2;
  }
}

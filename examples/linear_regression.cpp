// Multilinear regression by gradient descent with early stopping. By default the "ML from Scratch"
// notebook's demo: make_regression (1,000 samples, 10 features, bias 0.637, no noise), weights and
// bias from U[0, 1), full-batch descent at learning rate 0.1 on the notebook's half MSE, stopped
// when the training loss improves by less than 1e-7. With --csv it fits a real data set instead,
// on a seeded 80/20 train/test split, and checks the result against the least-squares solution.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
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
#include "nn/metrics.hpp"

using namespace xgrad;
namespace fs = std::filesystem;

using namespace xgrad::examples;

namespace {

struct Settings {
  std::size_t samples = 1000, features = 10;
  double noise = 0, bias = 0.637;
  std::uint64_t seed = 0;
  std::uint64_t init_seed = 0;
  std::size_t epochs = 1000;
  double lr = 0.1;
  std::string optimizer = "sgd";
  std::size_t batch_size = 0;
  double l2 = 0, val_fraction = 0;
  bool no_early_stopping = false;
  double min_delta = 1e-7;
  std::size_t patience = 0;
  std::string normalize;     // empty: standard for a CSV, none for generated data
  std::string csv_defaults;  // the defaults that differ for a CSV, to say so
  std::string loss = "half_mse";
  std::string dtype = "float32";
  std::string csv;
  std::string target;
  std::string out = "out/linear_regression";
  bool quiet = false;
};

constexpr double kTestFraction = 0.2;

// What to fit: x (N, D) and y (N,) for training, a test split for CSV data, and for generated data
// the coefficients that made it.
struct Problem {
  Tensor x_train, y_train, x_test, y_test;
  std::vector<std::string> names;
  std::string target = "y";
  std::vector<double> true_coef;
  double true_bias = 0;
};

// Weights in the units of the original inputs.
struct Coefficients {
  std::vector<double> coef;
  double intercept = 0;
};

// A string for a single-quoted gnuplot literal.
std::string gp_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

Problem generated_problem(const Settings& s) {
  Generator generator(s.seed);
  data::RegressionSamples samples =
      data::make_regression(s.samples, s.features, std::nullopt, s.bias, s.noise, generator);
  Problem p;
  p.x_train = samples.x;
  p.y_train = samples.y;
  p.true_coef = values(samples.coef);
  p.true_bias = s.bias;
  for (std::size_t j = 0; j < s.features; ++j) p.names.push_back("x" + std::to_string(j));
  return p;
}

Problem csv_problem(const Settings& s) {
  const data::CsvTable table = data::read_csv(s.csv);
  if (table.columns.size() < 2) {
    throw std::invalid_argument(s.csv + " has " + std::to_string(table.columns.size()) +
                                " column; a feature column and a target column are needed");
  }
  if (table.rows() < 10) {
    throw std::invalid_argument(s.csv + " has " + std::to_string(table.rows()) +
                                " rows; at least 10 are needed for a train/test split");
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
  for (std::size_t r = 0; r < rows; ++r) y(r) = v(r, target);
  p.target = table.columns[target];
  data::TrainTestSplit split =
      data::train_test_split(Tensor(std::move(x)), Tensor(std::move(y)), kTestFraction, s.seed);
  p.x_train = split.x_train;
  p.y_train = split.y_train;
  p.x_test = split.x_test;
  p.y_test = split.y_test;
  return p;
}

// The least-squares fit in float64: the normal equations (A^T A) beta = A^T y with
// A = [1, (x - mean) / std], solved by Cholesky, and the scaling folded back into the original
// units. Standardizing keeps A^T A well conditioned; nullopt when it is singular anyway (a constant
// or duplicated column).
std::optional<Coefficients> least_squares(const Tensor& x, const Tensor& y) {
  const Tensor xd = x.to(float64), yd = y.to(float64);
  const auto& X = xd.data<double>();
  const auto& Y = yd.data<double>();
  const std::size_t n = X.shape(0), d = X.shape(1), p = d + 1;
  std::vector<double> mean(d, 0), scale(d, 0);
  for (std::size_t j = 0; j < d; ++j) {
    for (std::size_t r = 0; r < n; ++r) mean[j] += X(r, j) / static_cast<double>(n);
    for (std::size_t r = 0; r < n; ++r) scale[j] += std::pow(X(r, j) - mean[j], 2);
    scale[j] = scale[j] > 0 ? std::sqrt(scale[j] / static_cast<double>(n)) : 1;
  }
  std::vector<double> a(p * p, 0), beta(p, 0), row(p);  // a: lower triangle of A^T A
  for (std::size_t r = 0; r < n; ++r) {
    row[0] = 1;
    for (std::size_t j = 0; j < d; ++j) row[j + 1] = (X(r, j) - mean[j]) / scale[j];
    for (std::size_t i = 0; i < p; ++i) {
      beta[i] += row[i] * Y(r);
      for (std::size_t k = 0; k <= i; ++k) a[i * p + k] += row[i] * row[k];
    }
  }
  // A^T A = L L^T, L overwriting the lower triangle.
  for (std::size_t j = 0; j < p; ++j) {
    double diagonal = a[j * p + j];
    for (std::size_t k = 0; k < j; ++k) diagonal -= a[j * p + k] * a[j * p + k];
    if (!(diagonal > 1e-10 * static_cast<double>(n))) return std::nullopt;
    a[j * p + j] = std::sqrt(diagonal);
    for (std::size_t i = j + 1; i < p; ++i) {
      double sum = a[i * p + j];
      for (std::size_t k = 0; k < j; ++k) sum -= a[i * p + k] * a[j * p + k];
      a[i * p + j] = sum / a[j * p + j];
    }
  }
  for (std::size_t i = 0; i < p; ++i) {  // L z = A^T y
    for (std::size_t k = 0; k < i; ++k) beta[i] -= a[i * p + k] * beta[k];
    beta[i] /= a[i * p + i];
  }
  for (std::size_t i = p; i-- > 0;) {  // L^T beta = z
    for (std::size_t k = i + 1; k < p; ++k) beta[i] -= a[k * p + i] * beta[k];
    beta[i] /= a[i * p + i];
  }
  Coefficients c{std::vector<double>(d), beta[0]};
  for (std::size_t j = 0; j < d; ++j) {
    c.coef[j] = beta[j + 1] / scale[j];
    c.intercept -= c.coef[j] * mean[j];
  }
  return c;
}

double r2_of(const Coefficients& c, const Tensor& x, const Tensor& y) {
  const Tensor xd = x.to(float64);
  const auto& X = xd.data<double>();
  xt::xarray<double> prediction = xt::xarray<double>::from_shape({X.shape(0)});
  for (std::size_t r = 0; r < X.shape(0); ++r) {
    prediction(r) = c.intercept;
    for (std::size_t j = 0; j < c.coef.size(); ++j) prediction(r) += c.coef[j] * X(r, j);
  }
  return metrics::r2_score(Tensor(std::move(prediction)), y.to(float64));
}

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string pad(width[c] - row[c].size(), ' ');
      std::cout << (c == 0 ? "  " + row[c] + pad : "   " + pad + row[c]);
    }
    std::cout << "\n";
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

// (a) y against two features in 3-D, coloured by the prediction (plotly's plasma scale), as the
// notebook's README picture.
void plot_scatter(const fs::path& dir, const Problem& p, const std::vector<double>& y_hat) {
  const std::vector<double> x = values(p.x_train), y = values(p.y_train);
  const std::size_t d = p.names.size(), a = 0, b = d >= 3 ? 2 : 1;
  std::vector<double> xa(y.size()), xb(y.size());
  for (std::size_t r = 0; r < y.size(); ++r) {
    xa[r] = x[r * d + a];
    xb[r] = x[r * d + std::min(b, d - 1)];
  }
  examples::write_csv(dir / "scatter3d.csv",
                      {p.names[a], d > 1 ? p.names[b] : "unused", p.target, "y_hat"},
                      {xa, xb, y, y_hat});
  std::string s = examples::png_terminal(900, 750) + "set output 'scatter3d.png'\n" +
                  "set datafile separator ','\n"
                  "set palette defined (0 '#0d0887', 1 '#6a00a8', 2 '#b12a90', 3 '#e16462', "
                  "4 '#fca636', 5 '#f0f921')\n"
                  "set cblabel 'ŷ (prediction)'\nset grid\n";
  const std::string against = d == 1 ? p.names[a] : p.names[a] + " and " + p.names[b];
  s += "set title " +
       gp_quote(p.target + " against " + against + ", coloured by the prediction ŷ") +
       " noenhanced\nset xlabel " + gp_quote(p.names[a]) + " noenhanced\n";
  if (d == 1) {  // one feature: a flat picture
    s += "set ylabel " + gp_quote(p.target) + " noenhanced\n" +
         "plot 'scatter3d.csv' skip 1 using 1:3:4 with points pt 7 ps 0.6 lc palette notitle\n";
  } else {
    s += "set ylabel " + gp_quote(p.names[b]) + " noenhanced\nset zlabel " + gp_quote(p.target) +
         " noenhanced rotate parallel\nset view 62, 38, 1.1, 1.1\nset ticslevel 0\n" +
         "splot 'scatter3d.csv' skip 1 using 1:2:3:4 with points pt 7 ps 0.6 lc palette notitle\n";
  }
  examples::plot(dir / "scatter3d.gp", s);
}

// (b) predictions against targets, with the line y_hat = y where a perfect fit lies.
void plot_predictions(const fs::path& dir, const std::vector<double>& y,
                      const std::vector<double>& y_hat, const std::vector<double>& split,
                      const std::string& target, const std::string& title) {
  examples::write_csv(dir / "predictions.csv", {"y", "y_hat", "test"}, {y, y_hat, split});
  const auto [y_low, y_high] = std::minmax_element(y.begin(), y.end());
  const auto [p_low, p_high] = std::minmax_element(y_hat.begin(), y_hat.end());
  const double low = std::min(*y_low, *p_low), high = std::max(*y_high, *p_high);
  const double pad = 0.04 * (high - low) + 1e-12;
  const std::string range = "[" + general(low - pad) + ":" + general(high + pad) + "]";
  const bool has_test = std::find(split.begin(), split.end(), 1.0) != split.end();
  std::string s = examples::png_terminal(750, 720) + "set output 'predicted_vs_true.png'\n" +
                  "set datafile separator ','\nset size square\nset grid\nset key top left\n" +
                  "set title " + gp_quote(title) + "\nset xlabel " + gp_quote("true " + target) +
                  " noenhanced\nset ylabel 'predicted ŷ'\n" + "set xrange " + range +
                  "\nset yrange " + range + "\n" +
                  "plot x with lines dt 2 lw 1.5 lc rgb '#555555' title 'ŷ = y', \\\n"
                  "  'predictions.csv' skip 1 using ($3 == 0 ? $1 : NaN):2 with points pt 7 ps 0.5 "
                  "lc rgb '#4682b4' title '" +
                  std::string(has_test ? "training rows" : "samples") + "'";
  if (has_test) {
    s += ", \\\n  'predictions.csv' skip 1 using ($3 == 1 ? $1 : NaN):2 with points pt 7 ps 0.6 "
         "lc rgb '#b22222' title 'test rows'";
  }
  examples::plot(dir / "predicted_vs_true.gp", s + "\n");
}

// (c) the learning curve, in linear and log scale, as the notebook's two stacked panels.
void plot_learning_curve(const fs::path& dir, const nn::History& history, const Settings& s) {
  history.to_csv((dir / "history.csv").string());
  const bool validation = s.val_fraction > 0;
  const std::string unit = s.batch_size == 0 ? "step" : "epoch";
  const std::string loss = s.loss == "half_mse" ? "½ MSE" : "MSE";
  std::string curves =
      "plot 'history.csv' skip 1 using 1:2 with lines lw 2 lc rgb '#4682b4' "
      "title 'training loss'";
  if (validation) {
    curves += ", '' skip 1 using 1:3 with lines lw 2 lc rgb '#b22222' title 'validation loss'";
  }
  std::string script = examples::png_terminal(900, 800) + "set output 'learning_curve.png'\n" +
                       "set datafile separator ','\nset grid\nset xlabel '" + unit + "'\n" +
                       "set multiplot layout 2,1 title 'Learning curve'\n" + "set ylabel '" + loss +
                       "'\n" + curves + "\nset logscale y\nset format y '10^{%T}'\n" +
                       "set ylabel '" + loss + " (log scale)'\n" + curves + "\nunset multiplot\n";
  examples::plot(dir / "learning_curve.gp", script);
}

// (d) the notebook's "features vs. target" grid: per feature n, the target and the partial
// prediction x_n w_n + b. The other features are held at their mean, which the notebook's zero-mean
// features left out; for real data, whose features are not centred, the line would miss the points.
void plot_feature_grid(const fs::path& dir, const Problem& p, const Coefficients& c) {
  const std::size_t d = p.names.size();
  const std::vector<double> x = values(p.x_train), y = values(p.y_train);
  std::vector<double> mean(d, 0);
  double at_means = c.intercept;  // the prediction with every feature at its mean
  for (std::size_t j = 0; j < d; ++j) {
    for (std::size_t r = 0; r < y.size(); ++r)
      mean[j] += x[r * d + j] / static_cast<double>(y.size());
    at_means += c.coef[j] * mean[j];
  }
  std::vector<std::string> header;
  std::vector<std::vector<double>> columns;
  for (std::size_t j = 0; j < d; ++j) {
    std::vector<double> feature(y.size()), partial(y.size());
    for (std::size_t r = 0; r < y.size(); ++r) {
      feature[r] = x[r * d + j];
      partial[r] = at_means + c.coef[j] * (feature[r] - mean[j]);
    }
    header.push_back(p.names[j]);
    header.push_back("partial_" + std::to_string(j));
    columns.push_back(feature);
    columns.push_back(partial);
  }
  header.push_back(p.target);
  columns.push_back(y);
  examples::write_csv(dir / "features.csv", header, columns);
  const std::size_t cols = std::min<std::size_t>(d, 5), rows = (d + cols - 1) / cols;
  std::string s =
      examples::png_terminal(static_cast<int>(280 * cols), static_cast<int>(250 * rows + 40)) +
      "set output 'features.png'\nset datafile separator ','\nset grid\nset key off\n" +
      "set multiplot layout " + std::to_string(rows) + "," + std::to_string(cols) +
      " title 'Features vs. target: actual (blue) and the partial prediction x_n w_n + b, "
      "the other features at their mean (red)' noenhanced\n";
  const std::string y_column = std::to_string(2 * d + 1);
  for (std::size_t j = 0; j < d; ++j) {
    const std::string xc = std::to_string(2 * j + 1), pc = std::to_string(2 * j + 2);
    s += "set title " + gp_quote(p.names[j]) + " noenhanced\nplot 'features.csv' skip 1 using " +
         xc + ":" + y_column + " with points pt 7 ps 0.35 lc rgb '#801c2ea3', '' skip 1 using " +
         xc + ":" + pc + " with points pt 7 ps 0.35 lc rgb '#808f1e1e'\n";
  }
  examples::plot(dir / "features.gp", s + "unset multiplot\n");
}

int run(const Settings& s) {
  const bool from_csv = !s.csv.empty();
  const std::string normalize = s.normalize.empty() ? "none" : s.normalize;
  models::LinearRegression::Options model_options;
  model_options.init = nn::Init::uniform_unit;  // the notebook's start, not the model's default
  model_options.seed = s.init_seed;
  model_options.normalization = models::parse_normalization(normalize);
  model_options.half_mse = s.loss == "half_mse";
  model_options.dtype = s.dtype == "float64" ? float64 : float32;
  models::TrainOptions fit;
  fit.epochs = s.epochs;
  fit.batch_size = s.batch_size;
  fit.learning_rate = s.lr;
  fit.optimizer = models::parse_solver(s.optimizer);
  fit.l2 = s.l2;
  fit.validation_fraction = s.val_fraction;
  fit.early_stopping = !s.no_early_stopping;
  fit.patience = s.patience;
  fit.min_delta = s.min_delta;
  fit.seed = s.seed;

  const Problem p = from_csv ? csv_problem(s) : generated_problem(s);
  const std::string unit = s.batch_size == 0 ? "step" : "epoch";
  if (from_csv) {
    std::cout << "Linear regression on " << s.csv << ": " << p.names.size() << " features, target '"
              << p.target << "'; " << p.x_train.size(0) << " training and " << p.x_test.size(0)
              << " test rows (seeded split, " << kTestFraction * 100 << "% test)\n";
  } else {
    std::cout << "Linear regression on make_regression: " << grouped(s.samples) << " samples, "
              << s.features << " features, bias " << s.bias << ", noise " << s.noise << " (seed "
              << s.seed << ")\n";
  }
  std::cout << "Model: weights and bias from U[0, 1) (seed " << s.init_seed << "), inputs scaled '"
            << normalize << "', " << s.dtype << "; " << s.optimizer << ", learning rate " << s.lr
            << ", "
            << (s.batch_size == 0 ? "full batch" : "batches of " + std::to_string(s.batch_size))
            << ", loss " << (model_options.half_mse ? "½ MSE (the notebook's)" : "MSE")
            << (s.l2 > 0 ? " + L2 " + general(s.l2) : "") << "; up to " << grouped(s.epochs) << " "
            << unit << "s";
  if (fit.early_stopping) {
    std::cout << ", early stopping when the " << (s.val_fraction > 0 ? "validation" : "training")
              << " loss improves by less than " << s.min_delta << " (patience " << s.patience
              << ")";
  }
  std::cout << "\n";
  if (!s.csv_defaults.empty()) {
    std::cout << "(CSV defaults:" << s.csv_defaults
              << ". Real features differ in units and are correlated: plain gradient descent "
                 "needs them scaled, and many small float64 steps to reach the least-squares "
                 "optimum)\n";
  }
  std::cout << "\n";

  const std::size_t every = std::max<std::size_t>(1, s.epochs / 10);
  if (!s.quiet) {
    fit.callbacks.push_back([&](nn::Trainer&, const nn::EpochLog& log) {
      if (log.epoch % every != 0 && log.epoch != 1) return;
      std::cout << unit << " "
                << std::string(grouped(s.epochs).size() - grouped(log.epoch).size(), ' ')
                << grouped(log.epoch) << "/" << grouped(s.epochs) << " | loss " << log.train_loss;
      if (s.val_fraction > 0) std::cout << " | val_loss " << log.val_loss;
      std::cout << "\n";
    });
  }
  models::LinearRegression model(model_options);
  const auto start = std::chrono::steady_clock::now();
  const nn::History& history = model.fit(p.x_train, p.y_train, fit);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // The loss of the weights the model holds, computed afresh: an epoch's train_loss in the history
  // was measured during the epoch, before its steps, so it belongs to earlier weights.
  const double kept_loss =
      metrics::mean_squared_error(model.predict(p.x_train).to(float64), p.y_train.to(float64)) *
      (model_options.half_mse ? 0.5 : 1.0);
  const std::size_t ran = history.epochs.size();
  if (history.stopped_early) {
    std::cout << "\nStopped early at " << unit << " " << grouped(ran) << " of " << grouped(s.epochs)
              << ": the loss improved by less than " << s.min_delta << "; the model keeps the "
              << "weights after " << unit << " " << grouped(history.weights_after_epoch);
  } else {
    std::cout << "\nRan all " << grouped(ran) << " " << unit << "s";
  }
  std::cout << " (" << fixed(seconds, 3) << " s); their training loss is " << kept_loss << "\n\n";

  Coefficients fitted{values(model.coef()), model.intercept().item()};
  const double r2_train = model.score(p.x_train, p.y_train);
  std::vector<std::vector<std::string>> rows;
  if (!from_csv) {
    for (std::size_t j = 0; j < p.names.size(); ++j) {
      rows.push_back({p.names[j], fixed(fitted.coef[j], 4), fixed(p.true_coef[j], 4),
                      fixed(fitted.coef[j] - p.true_coef[j], 4)});
    }
    rows.push_back({"bias", fixed(fitted.intercept, 4), fixed(p.true_bias, 4),
                    fixed(fitted.intercept - p.true_bias, 4)});
    print_table({"", "fitted", "true", "error"}, rows);
    std::cout << "\nR² = " << fixed(r2_train, 6) << " on the " << grouped(s.samples)
              << " samples\n";
  } else {
    const std::optional<Coefficients> exact = least_squares(p.x_train, p.y_train);
    for (std::size_t j = 0; j < p.names.size(); ++j) {
      rows.push_back({p.names[j], fixed(fitted.coef[j], 4), exact ? fixed(exact->coef[j], 4) : "-",
                      exact ? fixed(fitted.coef[j] - exact->coef[j], 4) : "-"});
    }
    rows.push_back({"intercept", fixed(fitted.intercept, 4),
                    exact ? fixed(exact->intercept, 4) : "-",
                    exact ? fixed(fitted.intercept - exact->intercept, 4) : "-"});
    print_table({"", "gradient descent", "least squares", "difference"}, rows);
    const double r2_test = model.score(p.x_test, p.y_test);
    std::cout << "\nR² (gradient descent): train " << fixed(r2_train, 4) << ", test "
              << fixed(r2_test, 4) << "\n";
    if (exact) {
      std::cout << "R² (least squares):    train " << fixed(r2_of(*exact, p.x_train, p.y_train), 4)
                << ", test " << fixed(r2_of(*exact, p.x_test, p.y_test), 4)
                << "   (normal equations in float64 on the standardized training rows)\n";
    } else {
      std::cout << "The normal equations are singular (a constant or duplicated column): no "
                   "least-squares comparison\n";
    }
  }

  const fs::path dir = s.out;
  fs::create_directories(dir);
  std::vector<double> y, y_hat, split;  // the training rows, then the test rows
  auto add_rows = [&](const Tensor& x, const Tensor& target, double is_test) {
    for (double v : values(target)) y.push_back(v), split.push_back(is_test);
    for (double v : values(model.predict(x))) y_hat.push_back(v);
  };
  add_rows(p.x_train, p.y_train, 0);
  plot_scatter(dir, p, y_hat);
  if (from_csv) add_rows(p.x_test, p.y_test, 1);
  plot_predictions(
      dir, y, y_hat, split, p.target,
      from_csv
          ? "Predicted against true (test R² = " + fixed(model.score(p.x_test, p.y_test), 3) + ")"
          : "Predicted against true (R² = " + fixed(r2_train, 6) + ")");
  plot_learning_curve(dir, history, s);
  std::string pictures = "scatter3d.png, predicted_vs_true.png, learning_curve.png";
  if (p.names.size() <= 30) {
    plot_feature_grid(dir, p, fitted);
    pictures += ", features.png";
  } else {
    pictures += " (no features grid above 30 features)";
  }
  examples::report_pictures(dir, pictures);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Multilinear regression by gradient descent with early stopping: the \"ML from Scratch\" "
      "notebook's demo on make_regression data, or a CSV data set checked against least squares"};
  app.option_defaults()->always_capture_default();  // --help shows every default
  Settings s;
  const CLI::Validator positive = in_range(0, kNoLimit, true), non_negative = in_range(0, kNoLimit);
  auto* samples =
      app.add_option("--samples", s.samples, "Generated samples")->check(in_range(2, kNoLimit));
  auto* features = app.add_option("--features", s.features, "Generated features")->check(positive);
  auto* noise = app.add_option("--noise", s.noise, "Standard deviation of the noise on y")
                    ->check(non_negative);
  auto* bias = app.add_option("--bias", s.bias, "The true intercept");
  app.add_option("--seed", s.seed, "Seeds the data, the train/test split and the shuffling");
  app.add_option("--init-seed", s.init_seed, "Seeds the initial weights");
  auto* epochs =
      app.add_option("--epochs", s.epochs, "Most epochs (full batch: steps); 10000 for --csv")
          ->check(positive);
  app.add_option("--lr", s.lr, "Learning rate")->check(non_negative);
  app.add_option("--optimizer", s.optimizer, "Optimizer")
      ->check(CLI::IsMember({"sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop"}));
  app.add_option("--batch-size", s.batch_size, "Rows per step; 0 = full batch");
  app.add_option("--l2", s.l2, "L2 penalty on the weights")->check(non_negative);
  app.add_option("--val-fraction", s.val_fraction,
                 "Rows held out for a validation loss, which early stopping then watches")
      ->check(in_range(0, 0.9));
  app.add_flag("--no-early-stopping", s.no_early_stopping, "Run every epoch");
  app.add_option("--min-delta", s.min_delta, "Smallest loss improvement that counts")
      ->check(non_negative);
  app.add_option("--patience", s.patience, "Epochs without improvement before stopping");
  app.add_option("--normalize", s.normalize, "Input scaling (default: none; standard for --csv)")
      ->check(CLI::IsMember({"none", "standard", "minmax", "global_minmax"}));
  app.add_option("--loss", s.loss, "half_mse (the notebook's sum (y_hat - y)^2 / 2N) or mse")
      ->check(CLI::IsMember({"half_mse", "mse"}));
  auto* dtype = app.add_option("--dtype", s.dtype, "The model's float type; float64 for --csv")
                    ->check(CLI::IsMember({"float32", "float64"}));
  auto* csv = app.add_option("--csv", s.csv, "Fit this CSV file (header row, numeric columns)")
                  ->check(CLI::ExistingFile);
  app.add_option("--target", s.target, "Target column of the CSV (default: the last)")->needs(csv);
  for (CLI::Option* generated : {samples, features, noise, bias}) csv->excludes(generated);
  app.add_option("--out", s.out, "Folder for the pictures and their data");
  app.add_flag("--quiet", s.quiet, "No progress lines");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "linear_regression: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (!s.csv.empty()) {
    if (epochs->count() == 0) s.epochs = 10000, s.csv_defaults += " --epochs 10000";
    if (dtype->count() == 0) s.dtype = "float64", s.csv_defaults += " --dtype float64";
    if (s.normalize.empty()) s.normalize = "standard", s.csv_defaults += " --normalize standard";
  }
  try {
    return run(s);
  } catch (const nn::TrainingDiverged& e) {
    std::cerr << "linear_regression: " << e.what() << " (try a smaller --lr)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "linear_regression: " << e.what() << "\n";
    return 2;
  }
}

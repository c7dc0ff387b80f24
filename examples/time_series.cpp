// Forecasting the yearly sunspot numbers (1700-2008, data/sunspots.csv) from a window of lagged
// values with four forecasters: the "ML from Scratch" network (models::MLP), an LSTM (nn::LSTM and
// a linear head), a linear autoregression (models::LinearRegression on the same lags) and the
// naive last-value forecast. Chronological train / validation / test split, scaling fitted on the
// training years only; one-step and recursive multi-step forecasts over the test years; test MAE
// and RMSE of all four in a table, and pictures of the series, the forecasts and their errors.
#include <algorithm>
#include <chrono>
#include <cmath>
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

struct Config {
  std::string data = std::string(XGRAD_DATA_DIR) + "/sunspots.csv";
  std::size_t lags = 12;
  std::vector<std::size_t> hidden = {32, 16};
  std::size_t lstm_hidden = 32;
  std::size_t epochs = 300;
  std::size_t lstm_epochs = 150;
  double lr = 0.003;
  double val_fraction = 0.15;
  double test_fraction = 0.15;
  std::uint64_t seed = 0;
  std::string out = "out/time_series";
  bool quiet = false;
};

// The LSTM forecaster: the window (N, lags) read as a sequence of one feature, the last hidden
// state mapped to the next value by a linear head.
class LSTMForecaster : public nn::Module {
 public:
  LSTMForecaster(std::size_t hidden, Generator& generator) {
    lstm = register_module(
        "lstm", std::make_shared<nn::LSTM>(nn::RNNOptions(1, hidden).batch_first(true), generator));
    head = register_module("head", std::make_shared<nn::Linear>(
                                       hidden, 1, true, nn::Init::pytorch_default, generator));
  }
  Tensor forward(const Tensor& x) override {  // x (N, lags) -> (N, 1)
    const long n = static_cast<long>(x.size(0)), lags = static_cast<long>(x.size(1));
    const nn::RNNOutput out = lstm->forward(reshape(x, {n, lags, 1}), Tensor());
    return head->forward(select(out.h_n, 0, 0));  // h_n (1, N, hidden) -> (N, hidden)
  }
  std::string type_name() const override { return "LSTMForecaster"; }

  std::shared_ptr<nn::LSTM> lstm;
  std::shared_ptr<nn::Linear> head;
};

// Windows of `lags` scaled values before each target index t in [begin, end), and the targets.
std::pair<Tensor, Tensor> windows(const std::vector<double>& z, std::size_t lags, std::size_t begin,
                                  std::size_t end) {
  auto x = xt::xarray<float>::from_shape({end - begin, lags});
  auto y = xt::xarray<float>::from_shape({end - begin, 1});
  for (std::size_t t = begin; t < end; ++t) {
    for (std::size_t k = 0; k < lags; ++k) x(t - begin, k) = static_cast<float>(z[t - lags + k]);
    y(t - begin, 0) = static_cast<float>(z[t]);
  }
  return {Tensor(std::move(x)), Tensor(std::move(y))};
}

struct Errors {
  double mae = 0, rmse = 0;
};

Errors errors(const std::vector<double>& forecast, const std::vector<double>& actual) {
  Errors e;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double d = forecast[i] - actual[i];
    e.mae += std::abs(d);
    e.rmse += d * d;
  }
  e.mae /= static_cast<double>(actual.size());
  e.rmse = std::sqrt(e.rmse / static_cast<double>(actual.size()));
  return e;
}

// A forecaster maps windows (N, lags) of scaled values to scaled next values (N,).
using Forecaster = std::function<std::vector<double>(const Tensor&)>;

// One-step forecasts of the targets [begin, end), from the true lagged values.
std::vector<double> one_step(const Forecaster& f, const std::vector<double>& z, std::size_t lags,
                             std::size_t begin, std::size_t end) {
  return f(windows(z, lags, begin, end).first);
}

// Recursive forecasts of [begin, end): each forecast becomes a lag of the next one; only values
// before `begin` are known.
std::vector<double> recursive(const Forecaster& f, std::vector<double> z, std::size_t lags,
                              std::size_t begin, std::size_t end) {
  std::vector<double> out;
  for (std::size_t t = begin; t < end; ++t) {
    z[t] = f(windows(z, lags, t, t + 1).first)[0];
    out.push_back(z[t]);
  }
  return out;
}

void plot_forecasts(const fs::path& out, const std::string& name, const std::string& title,
                    const std::vector<double>& years, const std::vector<double>& series,
                    std::size_t test_begin, const std::vector<std::vector<double>>& forecasts,
                    const std::vector<std::string>& labels) {
  const std::size_t tail = years.size() - test_begin;
  std::vector<std::vector<double>> columns = {years, series};
  std::vector<std::string> header = {"year", "actual"};
  for (std::size_t m = 0; m < forecasts.size(); ++m) {
    std::vector<double> f(years.size(), std::nan("")), e(years.size(), std::nan(""));
    for (std::size_t i = 0; i < tail; ++i) {
      f[test_begin + i] = forecasts[m][i];
      e[test_begin + i] = forecasts[m][i] - series[test_begin + i];
    }
    columns.push_back(f);
    columns.push_back(e);
    header.push_back(labels[m]);
    header.push_back(labels[m] + "_error");
  }
  write_csv(out / (name + ".csv"), header, columns);
  const char* colours[] = {"#4682b4", "#b22222", "#2e8b57", "#999999"};
  std::ostringstream gp;
  gp << png_terminal(1000, 760) << "set output '" << name << ".png'\n"
     << "set datafile separator ','\nset datafile missing 'nan'\nset grid lc rgb '#d0d0d0'\n"
     << "set multiplot layout 2,1 title '" << title << "'\n"
     << "set ylabel 'sunspot number'\nset key top left\n"
     << "set xrange [" << years[test_begin] - 60 << ":" << years.back() + 1 << "]\n"
     << "plot '" << name << ".csv' skip 1 using 1:2 with lines lw 2 lc rgb 'black' title 'actual'";
  for (std::size_t m = 0; m < labels.size(); ++m) {
    gp << ", \\\n  '' skip 1 using 1:" << 3 + 2 * m << " with linespoints pt 7 ps 0.5 lw 2 lc rgb '"
       << colours[m % 4] << "' title '" << labels[m] << "'";
  }
  gp << "\nset ylabel 'forecast - actual'\nset xlabel 'year'\nset xzeroaxis\n"
     << "set xrange [" << years[test_begin] - 1 << ":" << years.back() + 1 << "]\n"
     << "plot '" << name << ".csv' skip 1 using 1:" << 4 << " with lines lw 2 lc rgb '"
     << colours[0] << "' title '" << labels[0] << "'";
  for (std::size_t m = 1; m < labels.size(); ++m) {
    gp << ", \\\n  '' skip 1 using 1:" << 4 + 2 * m << " with lines lw 2 lc rgb '" << colours[m % 4]
       << "' title '" << labels[m] << "'";
  }
  gp << "\nunset multiplot\n";
  plot(out / (name + ".gp"), gp.str());
}

int run(const Config& c) {
  const fs::path out = c.out;
  fs::create_directories(out);
  const data::CsvTable table = data::read_csv(c.data);
  const std::vector<double> flat = values(table.values);
  std::vector<double> years, series;
  for (std::size_t r = 0; r < table.rows(); ++r) {
    years.push_back(flat[r * 2]);
    series.push_back(flat[r * 2 + 1]);
  }
  const std::size_t n = series.size();
  const std::size_t n_test = static_cast<std::size_t>(std::round(c.test_fraction * n));
  const std::size_t n_val = static_cast<std::size_t>(std::round(c.val_fraction * n));
  const std::size_t val_begin = n - n_test - n_val, test_begin = n - n_test;
  if (val_begin <= c.lags + 10) throw std::invalid_argument("time_series: too few training years");

  // Scaling fitted on the training years only.
  double mean = 0, var = 0;
  for (std::size_t t = 0; t < val_begin; ++t) mean += series[t];
  mean /= static_cast<double>(val_begin);
  for (std::size_t t = 0; t < val_begin; ++t) var += (series[t] - mean) * (series[t] - mean);
  const double scale = std::sqrt(var / static_cast<double>(val_begin));
  std::vector<double> z;
  for (double v : series) z.push_back((v - mean) / scale);
  auto unscale = [&](std::vector<double> v) {
    for (double& x : v) x = x * scale + mean;
    return v;
  };

  std::cout << "time_series: yearly sunspot numbers " << years.front() << "-" << years.back()
            << " (" << n << " years); train " << years[c.lags] << "-" << years[val_begin - 1]
            << ", validation " << years[val_begin] << "-" << years[test_begin - 1] << ", test "
            << years[test_begin] << "-" << years.back() << "; " << c.lags << " lags\n";
  const auto [x_train, y_train] = windows(z, c.lags, c.lags, val_begin);
  const auto [x_val, y_val] = windows(z, c.lags, val_begin, test_begin);
  const nn::Verbosity verbosity = c.quiet ? nn::Verbosity::silent : nn::Verbosity::automatic;
  const auto start = std::chrono::steady_clock::now();

  // (a) The notebook's network on the lag window.
  models::MLP::Options mo;
  mo.hidden = c.hidden;
  mo.activation = models::Activation::tanh;
  mo.task = models::Task::regression;
  mo.normalization = models::Normalization::none;  // the series is scaled already
  mo.init = nn::Init::xavier_uniform;
  mo.seed = c.seed;
  models::MLP mlp(mo);
  models::TrainOptions fo;
  fo.epochs = c.epochs;
  fo.batch_size = 16;
  fo.learning_rate = c.lr;
  fo.optimizer = models::Solver::adam;
  fo.seed = c.seed;
  fo.verbosity = verbosity;
  if (!c.quiet) std::cout << "MLP " << c.lags;
  for (std::size_t h : c.hidden) std::cout << (c.quiet ? "" : "-" + std::to_string(h));
  if (!c.quiet) std::cout << "-1 tanh, Adam lr " << c.lr << ", " << c.epochs << " epochs\n";
  mlp.fit(x_train, reshape(y_train, {-1}), fo);
  const Forecaster mlp_f = [&](const Tensor& x) { return values(mlp.predict(x)); };

  // (b) The LSTM, its weights from the epoch with the best validation loss.
  Generator generator(c.seed);
  LSTMForecaster lstm(c.lstm_hidden, generator);
  optim::Adam adam(lstm.parameters(), c.lr);
  nn::FitOptions lo;
  lo.epochs = c.lstm_epochs;
  lo.batch_size = 16;
  lo.seed = c.seed;
  lo.monitor = "val_loss";
  lo.verbosity = verbosity;
  if (!c.quiet) {
    std::cout << "LSTM(1, " << c.lstm_hidden << ") + Linear(" << c.lstm_hidden << ", 1), Adam lr "
              << c.lr << ", " << c.lstm_epochs << " epochs, best validation epoch kept\n";
  }
  const data::Dataset train(x_train, y_train), val(x_val, y_val);
  nn::fit(
      lstm, adam, [](const Tensor& p, const Tensor& t) { return mse_loss(p, t); }, train, &val, lo);
  lstm.eval();
  const Forecaster lstm_f = [&](const Tensor& x) {
    no_grad guard;
    return values(lstm.forward(x));
  };

  // (c) Linear autoregression on the same lags; (d) the naive last value.
  models::LinearRegression::Options ro;
  ro.init = nn::Init::zeros;
  models::LinearRegression ar(ro);
  models::TrainOptions ao;
  ao.epochs = 2000;
  ao.batch_size = 0;
  ao.learning_rate = 0.05;
  ao.optimizer = models::Solver::adam;
  ar.fit(x_train, reshape(y_train, {-1}), ao);
  const Forecaster ar_f = [&](const Tensor& x) { return values(ar.predict(x)); };
  const Forecaster naive_f = [&](const Tensor& x) { return values(select(x, 1, x.size(1) - 1)); };
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const std::vector<std::string> labels = {"MLP", "LSTM", "linear AR", "naive"};
  const std::vector<const Forecaster*> fs_ = {&mlp_f, &lstm_f, &ar_f, &naive_f};
  const std::vector<double> actual(series.begin() + test_begin, series.end());
  const std::vector<double> actual_val(series.begin() + val_begin, series.begin() + test_begin);
  std::vector<std::vector<double>> step1, multi;
  std::vector<Errors> e1, em, ev;
  for (const Forecaster* f : fs_) {
    step1.push_back(unscale(one_step(*f, z, c.lags, test_begin, n)));
    multi.push_back(unscale(recursive(*f, z, c.lags, test_begin, n)));
    e1.push_back(errors(step1.back(), actual));
    em.push_back(errors(multi.back(), actual));
    ev.push_back(errors(unscale(one_step(*f, z, c.lags, val_begin, test_begin)), actual_val));
  }
  std::cout << "trained in " << fixed(seconds, 1) << " s\n\n"
            << "Test years " << years[test_begin] << "-" << years.back()
            << " (sunspot numbers; one-step: true lags, recursive: forecasts fed back from "
            << years[test_begin] << " on)\n"
            << std::left << std::setw(11) << "model" << std::right << std::setw(11) << "val RMSE"
            << std::setw(13) << "1-step MAE" << std::setw(13) << "1-step RMSE" << std::setw(15)
            << "recursive MAE" << std::setw(16) << "recursive RMSE"
            << "\n";
  for (std::size_t m = 0; m < labels.size(); ++m) {
    std::cout << std::left << std::setw(11) << labels[m] << std::right << std::setw(11)
              << fixed(ev[m].rmse, 2) << std::setw(13) << fixed(e1[m].mae, 2) << std::setw(13)
              << fixed(e1[m].rmse, 2) << std::setw(15) << fixed(em[m].mae, 2) << std::setw(16)
              << fixed(em[m].rmse, 2) << "\n";
  }
  const double best = std::min(e1[0].rmse, e1[1].rmse);
  const bool beat_naive = e1[0].rmse < e1[3].rmse && e1[1].rmse < e1[3].rmse;
  std::cout << "\n"
            << (beat_naive ? "Both networks beat the naive forecast on test RMSE (one-step).\n"
                           : "NOT MET: a network does not beat the naive forecast on test RMSE.\n")
            << (best < e1[2].rmse
                    ? "The better network beats the linear autoregression on test RMSE.\n"
                    : "NOT MET: neither network beats the linear autoregression on test RMSE "
                      "(one-step): " +
                          fixed(best, 2) + " against " + fixed(e1[2].rmse, 2) + ".\n");

  plot_forecasts(out, "one_step", "One-step forecasts of the test years", years, series, test_begin,
                 step1, labels);
  plot_forecasts(out, "recursive", "Recursive forecasts from the first test year", years, series,
                 test_begin, multi, labels);
  report_pictures(out, "one_step.png, recursive.png");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"Forecasting the yearly sunspot numbers: MLP, LSTM, linear AR and naive"};
  app.option_defaults()->always_capture_default();
  app.add_option("--data", c.data, "CSV with columns year,sunactivity")->check(CLI::ExistingFile);
  app.add_option("--lags", c.lags, "Window of lagged years fed to every model")
      ->check(CLI::Range(1, 100));
  app.add_option("--hidden", c.hidden, "Hidden layer widths of the MLP")->expected(1, 8);
  app.add_option("--lstm-hidden", c.lstm_hidden, "Hidden size of the LSTM")
      ->check(CLI::Range(1, 1024));
  app.add_option("--epochs", c.epochs, "MLP epochs")->check(CLI::Range(1, 100000));
  app.add_option("--lstm-epochs", c.lstm_epochs, "LSTM epochs")->check(CLI::Range(1, 100000));
  app.add_option("--lr", c.lr, "Adam learning rate of both networks")
      ->check(in_range(0, kNoLimit, true));
  app.add_option("--seed", c.seed, "Seed of the initial weights and the shuffling");
  app.add_option("--out", c.out, "Folder for the pictures and their data");
  app.add_flag("--quiet", c.quiet, "No progress display");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(c);
  } catch (const std::exception& e) {
    std::cerr << "time_series: " << e.what() << "\n";
    return 1;
  }
}

// Internal: the training loop's progress display.
#include "nn/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace xgrad::nn::detail {

namespace {

std::string clock_time(double seconds) {
  const long s = static_cast<long>(std::round(seconds));
  std::ostringstream out;
  out << std::setfill('0') << std::setw(2) << s / 60 << ':' << std::setw(2) << s % 60;
  return out.str();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// "loss 0.1234 val_loss 0.2345 accuracy 0.97 val_accuracy 0.96"
std::string values(const EpochLog& log, const std::string& metric_name) {
  std::ostringstream out;
  out << std::setprecision(4) << "loss " << log.train_loss;
  if (!std::isnan(log.val_loss)) out << " val_loss " << log.val_loss;
  if (!std::isnan(log.train_metric)) out << ' ' << metric_name << ' ' << log.train_metric;
  if (!std::isnan(log.val_metric)) out << " val_" << metric_name << ' ' << log.val_metric;
  return out.str();
}

}  // namespace

Progress::Progress(Verbosity verbosity, std::ostream* out, std::size_t epochs,
                   std::size_t batches_per_epoch, std::string metric_name)
    : bar_(verbosity == Verbosity::progress_bar ||
           (verbosity == Verbosity::automatic && out == nullptr && isatty(fileno(stdout)))),
      silent_(verbosity == Verbosity::silent),
      out_(out ? *out : std::cout),
      epochs_(epochs),
      batches_(batches_per_epoch),
      metric_name_(std::move(metric_name)),
      fit_start_(std::chrono::steady_clock::now()) {}

void Progress::start_epoch(std::size_t epoch) {
  epoch_ = epoch;
  epoch_start_ = std::chrono::steady_clock::now();
}

void Progress::batch_done(std::size_t batch, double running_loss) {
  if (silent_ || !bar_) return;
  // Redraw at most ten times a second, and always on the last batch.
  const auto now = std::chrono::steady_clock::now();
  if (batch != batches_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  constexpr std::size_t width = 24;
  const std::size_t filled = batches_ ? width * batch / batches_ : width;
  const double elapsed = seconds_since(fit_start_);
  const double done = (static_cast<double>(epoch_ - 1) + static_cast<double>(batch) / batches_) /
                      static_cast<double>(epochs_);
  const double eta = done > 0 ? elapsed * (1 - done) / done : 0;
  std::ostringstream line;
  line << "\repoch " << epoch_ << '/' << epochs_ << " [" << std::string(filled, '=')
       << std::string(width - filled, ' ') << "] " << batch << '/' << batches_ << " loss "
       << std::setprecision(4) << running_loss << "  " << clock_time(elapsed) << '<'
       << clock_time(eta) << "   ";
  out_ << line.str() << std::flush;
}

void Progress::epoch_done(const EpochLog& log) {
  if (silent_) return;
  if (bar_) out_ << '\r' << std::string(100, ' ') << '\r';
  out_ << "epoch " << log.epoch << '/' << epochs_ << ": " << values(log, metric_name_) << " ("
       << std::fixed << std::setprecision(2) << log.seconds << " s)" << std::defaultfloat << '\n'
       << std::flush;
}

}  // namespace xgrad::nn::detail

// Internal: the training loop's progress display — a bar redrawn in place on a terminal, one line
// per epoch otherwise, nothing when silent.
#pragma once

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <string>

#include "nn/trainer.hpp"

namespace xgrad::nn::detail {

class Progress {
 public:
  Progress(Verbosity verbosity, std::ostream* out, std::size_t epochs,
           std::size_t batches_per_epoch, std::string metric_name);
  void start_epoch(std::size_t epoch);
  void batch_done(std::size_t batch, double running_loss);
  void epoch_done(const EpochLog& log);

 private:
  bool bar_;
  bool silent_;
  std::ostream& out_;
  std::size_t epochs_;
  std::size_t batches_;
  std::string metric_name_;
  std::chrono::steady_clock::time_point fit_start_;
  std::chrono::steady_clock::time_point epoch_start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::size_t epoch_ = 0;
};

}  // namespace xgrad::nn::detail

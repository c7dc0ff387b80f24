// The training loop: epochs of mini-batch training with a validation pass each epoch, a history,
// callbacks, early stopping with best-weight restore, checkpointing and a progress display.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/data/dataset.hpp"
#include "nn/distributed_context.hpp"
#include "nn/loss.hpp"
#include "nn/module.hpp"
#include "nn/optim/optimizer.hpp"

namespace xgrad::nn {

/// What one epoch did. Values that were not computed are NaN (no validation set, no metric).
struct EpochLog {
  std::size_t epoch = 0;  // 1-based
  double train_loss = std::numeric_limits<double>::quiet_NaN();
  double val_loss = std::numeric_limits<double>::quiet_NaN();
  double train_metric = std::numeric_limits<double>::quiet_NaN();
  double val_metric = std::numeric_limits<double>::quiet_NaN();
  double lr = 0;
  std::size_t steps = 0;  // optimizer steps taken so far, over all epochs
  double seconds = 0;     // wall time of the epoch
};

/// Every epoch of a fit, and why it ended.
struct History {
  std::vector<EpochLog> epochs;
  std::string metric_name;  // column name of the metric ("accuracy"), empty if none
  /// The epoch judged best by the monitored value (the last epoch when nothing is restored). For
  /// a validation value the model ends with the weights that epoch ended with; for a training
  /// value, with the weights it started from, which its batch losses were measured on.
  std::size_t best_epoch = 0;
  /// How many complete epochs of updates the final weights include: best_epoch for a validation
  /// value, best_epoch - 1 for a training value, every epoch run when nothing was restored.
  std::size_t weights_after_epoch = 0;
  bool stopped_early = false;

  /// Writes one row per epoch: epoch,train_loss,val_loss,train_<metric>,val_<metric>,lr,steps,
  /// seconds. Throws std::runtime_error if the file cannot be written.
  void to_csv(const std::string& path) const;
};

/// A metric of (predictions, targets) over a whole epoch, such as accuracy.
using MetricFunction = std::function<double(const Tensor& prediction, const Tensor& target)>;

class Trainer;
/// Called after every epoch; may call trainer.request_stop().
using Callback = std::function<void(Trainer& trainer, const EpochLog& log)>;

enum class Verbosity { automatic, progress_bar, lines, silent };

struct FitOptions {
  std::size_t epochs = 10;
  std::size_t batch_size = 32;  // rows per step; use the dataset size for full-batch descent
  bool shuffle = true;
  std::uint64_t seed = 0;  // shuffling order
  bool drop_last = false;
  /// Steps the optimizer once every accumulate_steps batches, on the mean of their gradients.
  std::size_t accumulate_steps = 1;
  /// Rescales the gradients to this global norm when they exceed it; 0 turns clipping off.
  double clip_grad_norm = 0;

  MetricFunction metric;  // optional
  std::string metric_name = "metric";
  bool metric_higher_is_better = true;

  /// Early stopping: stop after `patience` epochs in a row without an improvement of more than
  /// min_delta in the monitored value ("val_loss", "train_loss", "val_metric", "train_metric").
  bool early_stopping = false;
  std::string monitor = "val_loss";
  std::size_t patience = 0;
  double min_delta = 0;
  /// At the end, load the weights of the best epoch by the monitored value (also without early
  /// stopping, when a value is monitored and a validation set is given).
  bool restore_best = true;
  /// When set, the best weights are saved there (atomically) whenever they improve.
  std::string checkpoint_path;

  std::vector<Callback> callbacks;
  Verbosity verbosity = Verbosity::automatic;  // a bar on a terminal, one line per epoch otherwise
  std::ostream* out = nullptr;                 // where progress goes; std::cout if null

  /// Data-parallel training, set on every worker (distributed::Context over MPI); null: one
  /// process. fit() then wraps the model so that gradients are averaged over workers, trains each
  /// on its shard of the data (a DistributedSampler over shuffle, seed and drop_last), reports
  /// losses and metrics averaged over workers (one small allreduce per batch, so a NaN stops every
  /// worker alike), decides early stopping and callbacks' stop requests alike everywhere, and
  /// prints progress and writes checkpoints on the root worker only. Validation runs whole on
  /// every worker (the replicas are equal).
  DistributedContext* distributed = nullptr;
};

/// Thrown when a loss becomes NaN or infinite. The model then holds the best weights seen by the
/// monitored value, or, when nothing is monitored, the weights the last complete epoch started
/// from (all its losses were finite); the message says which. The history up to that point comes
/// with the exception.
class TrainingDiverged : public std::runtime_error {
 public:
  TrainingDiverged(const std::string& message, History history)
      : std::runtime_error(message), history_(std::move(history)) {}
  const History& history() const { return history_; }

 private:
  History history_;
};

/// Trains `model` with `optimizer` on `loss`. The model, optimizer and loss must outlive it.
class Trainer {
 public:
  /// Throws std::invalid_argument for bad options (0 epochs, batch size 0, accumulate_steps 0,
  /// negative clip norm or min_delta, unknown monitor) and for an optimizer that holds none of the
  /// model's parameters.
  Trainer(Module& model, optim::Optimizer& optimizer, LossFunction loss, FitOptions options = {});

  /// Runs the epochs. A validation set, if given, is evaluated after every epoch in eval mode.
  /// Throws std::invalid_argument when drop_last leaves no complete batch or the loss function
  /// returns anything but one value, what the model, loss, metric and data loader throw for bad
  /// batches, TrainingDiverged for a NaN or infinite loss, and std::runtime_error when the
  /// checkpoint cannot be saved. Throws std::invalid_argument when clip_grad_norm or
  /// accumulate_steps > 1 is asked of an optimizer fused into backward (it stores no gradient).
  History fit(const data::Dataset& train, const data::Dataset* validation = nullptr);
  /// The mean loss (and metric, NaN without one) over a dataset, in eval mode without a graph.
  std::pair<double, double> evaluate(const data::Dataset& dataset);
  /// Asks fit() to stop after the current epoch (for callbacks).
  void request_stop() { stop_requested_ = true; }

  Module& model() { return model_; }
  optim::Optimizer& optimizer() { return optimizer_; }

 private:
  double monitored(const EpochLog& log) const;

  Module& model_;
  optim::Optimizer& optimizer_;
  LossFunction loss_;
  FitOptions options_;
  bool stop_requested_ = false;
};

/// Trainer(model, optimizer, loss, options).fit(train, validation).
History fit(Module& model, optim::Optimizer& optimizer, const LossFunction& loss,
            const data::Dataset& train, const data::Dataset* validation = nullptr,
            const FitOptions& options = {});

}  // namespace xgrad::nn

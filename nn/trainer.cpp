// The training loop.
#include "nn/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <tuple>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "nn/optim/clip.hpp"
#include "nn/progress.hpp"
#include "nn/serialize.hpp"

namespace xgrad::nn {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Copies of a module's parameters and buffers, to restore later.
NamedTensors snapshot(const Module& model) {
  no_grad guard;
  NamedTensors copy;
  for (const auto& [name, tensor] : model.state_dict()) {
    copy.emplace_back(name, tensor.detach().clone());
  }
  return copy;
}

// The loss of one batch, checked to be a single value before anything reads it.
Tensor batch_loss(const LossFunction& loss, const Tensor& prediction, const Tensor& target) {
  Tensor value = loss(prediction, target);
  if (!value.defined() || value.numel() != 1) {
    throw std::invalid_argument("fit: the loss function returned " +
                                (value.defined()
                                     ? "a tensor of shape " + format_shape(value.shape())
                                     : std::string("an undefined tensor")) +
                                "; it must return one value (reduce with mean or sum)");
  }
  return value;
}

}  // namespace

void History::to_csv(const std::string& path) const {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("History::to_csv: cannot write " + path);
  const std::string metric = metric_name.empty() ? "metric" : metric_name;
  out << "epoch,train_loss,val_loss,train_" << metric << ",val_" << metric << ",lr,steps,seconds\n";
  out << std::setprecision(10);
  for (const EpochLog& e : epochs) {
    out << e.epoch << ',' << e.train_loss << ',' << e.val_loss << ',' << e.train_metric << ','
        << e.val_metric << ',' << e.lr << ',' << e.steps << ',' << e.seconds << '\n';
  }
  if (!out) throw std::runtime_error("History::to_csv: error while writing " + path);
}

Trainer::Trainer(Module& model, optim::Optimizer& optimizer, LossFunction loss, FitOptions options)
    : model_(model), optimizer_(optimizer), loss_(std::move(loss)), options_(std::move(options)) {
  const FitOptions& o = options_;
  auto bad = [](const std::string& what) { throw std::invalid_argument("fit: " + what); };
  if (!loss_) bad("no loss function given");
  if (o.epochs == 0) bad("epochs must be at least 1");
  if (o.batch_size == 0) bad("batch_size must be at least 1");
  if (o.accumulate_steps == 0) bad("accumulate_steps must be at least 1");
  if (!(o.clip_grad_norm >= 0) || !std::isfinite(o.clip_grad_norm)) {
    bad("clip_grad_norm must be finite and >= 0, got " + format_number(o.clip_grad_norm));
  }
  if (!(o.min_delta >= 0) || !std::isfinite(o.min_delta)) {
    bad("min_delta must be finite and >= 0, got " + format_number(o.min_delta));
  }
  if (o.monitor != "val_loss" && o.monitor != "train_loss" && o.monitor != "val_metric" &&
      o.monitor != "train_metric") {
    bad("unknown monitor '" + o.monitor +
        "' (use val_loss, train_loss, val_metric or train_metric)");
  }
  if ((o.monitor == "val_metric" || o.monitor == "train_metric") && !o.metric) {
    bad("monitor '" + o.monitor + "' needs a metric function");
  }
  // An optimizer made for another model would step nothing that this one uses, silently.
  const std::vector<Tensor> own = model_.parameters();
  const std::vector<Tensor>& stepped = optimizer_.params();
  const bool shares = std::any_of(stepped.begin(), stepped.end(), [&](const Tensor& p) {
    return std::any_of(own.begin(), own.end(), [&](const Tensor& q) { return q.is_same(p); });
  });
  if (!shares) {
    bad("the optimizer (" + optimizer_.name() + ") holds none of the " + model_.type_name() +
        "'s parameters; build it from model.parameters()");
  }
}

double Trainer::monitored(const EpochLog& log) const {
  if (options_.monitor == "train_loss") return log.train_loss;
  if (options_.monitor == "val_metric") return log.val_metric;
  if (options_.monitor == "train_metric") return log.train_metric;
  return log.val_loss;
}

std::pair<double, double> Trainer::evaluate(const data::Dataset& dataset) {
  if (dataset.size() == 0) throw std::invalid_argument("evaluate: the dataset is empty");
  const bool was_training = model_.is_training();
  model_.eval();
  no_grad guard;
  data::DataLoader loader(dataset, options_.batch_size);
  double total = 0;
  std::vector<Tensor> predictions;
  for (const data::Batch& batch : loader) {
    Tensor prediction = model_(batch.x);
    total += batch_loss(loss_, prediction, batch.y).item() * static_cast<double>(batch.x.size(0));
    if (options_.metric) predictions.push_back(prediction);
  }
  model_.train(was_training);
  const double metric =
      options_.metric ? options_.metric(concat(predictions, 0), dataset.y()) : kNaN;
  return {total / static_cast<double>(dataset.size()), metric};
}

History Trainer::fit(const data::Dataset& train, const data::Dataset* validation) {
  const FitOptions& o = options_;
  const bool monitors_validation = o.monitor.rfind("val_", 0) == 0;
  if (o.early_stopping && monitors_validation && !validation) {
    throw std::invalid_argument("fit: early stopping monitors " + o.monitor +
                                " but no validation data was given");
  }
  // The fused step updates each parameter inside backward() and stores no gradient: nothing is
  // left to clip, and every batch steps, so both options would be silently ignored.
  if (optimizer_.fused_into_backward() && (o.clip_grad_norm > 0 || o.accumulate_steps > 1)) {
    throw std::invalid_argument(
        "fit: the optimizer (" + optimizer_.name() +
        ") takes its step inside backward (fuse_into_backward), which stores no gradient, so " +
        (o.clip_grad_norm > 0 ? "clip_grad_norm has nothing to clip"
                              : "accumulate_steps cannot sum gradients over batches") +
        "; call fuse_into_backward(false) to use it");
  }
  stop_requested_ = false;
  History history;
  if (o.metric) history.metric_name = o.metric_name;

  // Data-parallel: this worker's shard, and a model whose backward averages gradients.
  DistributedContext* const dist = o.distributed;
  std::shared_ptr<data::DistributedSampler> sampler;
  std::shared_ptr<Module> wrapped;
  if (dist) {
    sampler = std::make_shared<data::DistributedSampler>(
        train.size(), static_cast<std::size_t>(dist->world_size()),
        static_cast<std::size_t>(dist->rank()), o.shuffle, o.seed, o.drop_last);
    wrapped = dist->wrap(model_);
  }
  Module& net = wrapped ? *wrapped : model_;
  auto averaged = [dist](double value) {
    std::vector<double> v{value};
    if (dist) dist->average(v);
    return v[0];
  };
  data::DataLoader loader =
      dist ? data::DataLoader(train, o.batch_size, sampler, o.drop_last)
           : data::DataLoader(train, o.batch_size, o.shuffle, o.seed, o.drop_last);
  if (loader.size() == 0) {
    throw std::invalid_argument("fit: drop_last with batch_size " + std::to_string(o.batch_size) +
                                " leaves no complete batch of the " + std::to_string(train.size()) +
                                " training samples");
  }
  detail::Progress progress(dist && !dist->is_root() ? Verbosity::silent : o.verbosity, o.out,
                            o.epochs, loader.size(), o.metric_name);
  const std::vector<Tensor> params = model_.parameters();

  // The best weights so far by the monitored value; the starting weights until an epoch ends.
  // A validation value is measured after the epoch's steps, on the weights the epoch ends with; a
  // training value is the mean of the batch losses, each measured before its step, so it speaks
  // for the weights the epoch started with, and those are what an improvement keeps.
  const bool tracking = (o.early_stopping || o.restore_best || !o.checkpoint_path.empty()) &&
                        (!monitors_validation || validation);
  NamedTensors best = snapshot(model_);
  NamedTensors epoch_start;
  std::string kept = "the start";  // which weights `best` holds, for messages
  std::size_t kept_after = 0;      // how many epochs of updates `best` includes
  double best_value = kNaN;
  std::size_t since_best = 0;
  const bool higher_is_better =
      o.monitor.find("metric") != std::string::npos && o.metric_higher_is_better;

  auto restore_best = [&] { model_.load_state_dict(best); };
  auto step = [&] {
    if (o.clip_grad_norm > 0) optim::clip_grad_norm_(params, o.clip_grad_norm);
    optimizer_.step();
    optimizer_.zero_grad();
  };

  std::size_t steps = 0;
  model_.train();
  optimizer_.zero_grad();
  for (std::size_t epoch = 1; epoch <= o.epochs; ++epoch) {
    progress.start_epoch(epoch);
    if (sampler) sampler->set_epoch(epoch - 1);
    epoch_start = snapshot(model_);
    const auto start = std::chrono::steady_clock::now();
    double loss_sum = 0;
    std::size_t rows = 0, batch_index = 0, pending = 0;
    std::vector<Tensor> predictions, targets;
    for (const data::Batch& batch : loader) {
      ++batch_index;
      Tensor prediction = net(batch.x);
      Tensor loss = batch_loss(loss_, prediction, batch.y);
      const double value = averaged(loss.item());
      if (!std::isfinite(value)) {
        restore_best();
        history.weights_after_epoch = kept_after;
        throw TrainingDiverged("fit: the loss became " + format_number(value) + " at epoch " +
                                   std::to_string(epoch) + ", batch " +
                                   std::to_string(batch_index) +
                                   "; training stopped and the model holds the weights of " + kept,
                               history);
      }
      (o.accumulate_steps > 1 ? loss / static_cast<double>(o.accumulate_steps) : loss).backward();
      if (++pending == o.accumulate_steps) {
        step();
        pending = 0;
        ++steps;
      }
      const std::size_t n = batch.x.size(0);
      loss_sum += value * static_cast<double>(n);
      rows += n;
      if (o.metric) {
        predictions.push_back(prediction.detach());
        targets.push_back(batch.y);
      }
      progress.batch_done(batch_index, loss_sum / static_cast<double>(rows));
    }
    if (pending > 0) {  // the epoch's last, incomplete accumulation
      step();
      ++steps;
    }

    EpochLog log;
    log.epoch = epoch;
    log.train_loss = loss_sum / static_cast<double>(rows);
    if (o.metric) {
      log.train_metric = averaged(o.metric(concat(predictions, 0), concat(targets, 0)));
    }
    if (validation) std::tie(log.val_loss, log.val_metric) = evaluate(*validation);
    log.lr = optimizer_.lr();
    log.steps = steps;
    log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    history.epochs.push_back(log);

    if (tracking) {
      const double value = monitored(log);
      const bool improved =
          std::isfinite(value) &&
          (std::isnan(best_value) || (higher_is_better ? value > best_value + o.min_delta
                                                       : value < best_value - o.min_delta));
      if (improved) {
        best_value = value;
        history.best_epoch = epoch;
        if (monitors_validation) {
          best = snapshot(model_);
          kept = "epoch " + std::to_string(epoch);
          kept_after = epoch;
        } else {
          best = epoch_start;
          kept = "the start of epoch " + std::to_string(epoch);
          kept_after = epoch - 1;
        }
        since_best = 0;
        if (!o.checkpoint_path.empty() && (!dist || dist->is_root())) {
          save(model_, o.checkpoint_path);
        }
      } else {
        ++since_best;
      }
    } else {
      // Nothing is monitored: keep the weights this epoch started from, whose every batch loss was
      // finite, so a later divergence loses nothing.
      best = epoch_start;
      kept = "the start of epoch " + std::to_string(epoch);
      kept_after = epoch - 1;
    }
    progress.epoch_done(log);
    for (const Callback& callback : o.callbacks) callback(*this, log);
    if (dist) stop_requested_ = averaged(stop_requested_ ? 1 : 0) > 0;
    if (o.early_stopping && since_best > 0 && since_best >= o.patience) {
      history.stopped_early = true;
      break;
    }
    if (stop_requested_) break;
  }
  if (tracking && o.restore_best && history.best_epoch > 0) {
    restore_best();
    history.weights_after_epoch = kept_after;
  } else {
    history.best_epoch = history.epochs.size();
    history.weights_after_epoch = history.epochs.size();
  }
  return history;
}

History fit(Module& model, optim::Optimizer& optimizer, const LossFunction& loss,
            const data::Dataset& train, const data::Dataset* validation,
            const FitOptions& options) {
  return Trainer(model, optimizer, loss, options).fit(train, validation);
}

}  // namespace xgrad::nn

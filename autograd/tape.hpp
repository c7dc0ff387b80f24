// Internal: what CapturedGraph (capture.hpp) records while a step runs, and the calls by which
// kernels record themselves. A capturable kernel runs as always, then, if active_tape is set, hands
// record_kernel a closure that runs it again over the same tensors' values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad::detail {

struct Tape {
  std::uint32_t id = 0;
  std::vector<std::function<void()>> kernels;
  // Every value a kernel reads or writes, kept alive here: the kernels hold plain pointers, so
  // that a value's use count says how many tensors share it, plus one if the tape holds it.
  std::unordered_map<const Storage*, std::shared_ptr<Storage>> kept;
  // Tensors made before the capture whose values the kernels use: replay refuses to run if one of
  // them was given other values by set_data (the kernels would update values no one sees).
  struct External {
    std::weak_ptr<TensorImpl> tensor;
    const Storage* storage;
  };
  std::vector<External> externals;
  std::unordered_set<const Storage*> external_storages;
  // Values allocated during the capture, to find at its end those no recorded kernel computed.
  std::vector<std::weak_ptr<Storage>> born;
  // Values that recorded kernels changed in place, with the op: replay bumps their versions as
  // the first run did, so that a graph that saved them refuses to run on the new values.
  std::vector<std::pair<std::weak_ptr<Storage>, const char*>> changed;
  std::unordered_set<const Storage*> changed_storages;
  // What the last recorded kernel wrote, for bump_version's check.
  std::vector<std::pair<const Storage*, std::weak_ptr<Storage>>> last_writes;
  // The first thing that makes the capture unusable, reported when it ends.
  std::string failure;
};

/// Notes that `storage` was allocated while a capture runs.
void note_birth(const std::shared_ptr<Storage>& storage);

/// Records `kernel`, which the caller has just run, to run again on replay: it reads the values of
/// `reads` and writes those of `writes`. Throws std::invalid_argument naming `op` when a read value
/// was computed during the capture by something that was not recorded.
void record_kernel(const char* op, std::initializer_list<const Tensor*> reads,
                   std::initializer_list<const Tensor*> writes, std::function<void()> kernel);

/// While alive, this thread records nothing: for state an op keeps across steps (an optimizer's
/// momentum), made during a capture but not part of what replay repeats.
class TapePause {
 public:
  TapePause() : paused_(active_tape) { active_tape = nullptr; }
  ~TapePause() { active_tape = paused_; }
  TapePause(const TapePause&) = delete;
  TapePause& operator=(const TapePause&) = delete;

 private:
  Tape* paused_;
};

/// Makes the running capture fail, naming `what` (an op, or a form of one) replay cannot repeat.
void capture_unsupported(const std::string& what);

/// The references to `storage` the running capture holds (0 or 1; 0 with no capture).
long tape_references(const Storage& storage);

/// The error of a replay whose kernel finds other values than it was recorded over.
[[noreturn]] void throw_replay_changed(const Storage& storage, std::size_t n);

/// The first element of `storage`'s values as T, checked to still hold `n` of them: on replay,
/// the values a kernel was recorded over.
template <class T>
T* replay_values(Storage& storage, std::size_t n) {
  auto* values = std::get_if<TensorValues<T>>(&storage);
  if (!values || values->size() != n) throw_replay_changed(storage, n);
  return values->data();
}

}  // namespace xgrad::detail

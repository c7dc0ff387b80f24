// CapturedGraph: recording a step's kernels (see tape.hpp for how kernels take part) and replaying
// them.
#include "autograd/capture.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "autograd/anomaly.hpp"
#include "autograd/tape.hpp"

namespace xgrad {

namespace detail {

thread_local Tape* active_tape = nullptr;

namespace {

std::atomic<std::uint32_t> last_tape_id{0};

const char* dtype_of(const Storage& storage) {
  static constexpr const char* kNames[] = {"float32", "float64", "int64", "bool"};
  return kNames[storage.index()];
}

std::string describe(const Storage& storage) {
  std::string text = dtype_of(storage);
  std::visit(
      [&](const auto& values) {
        text += " " + format_shape(Shape(values.shape().begin(), values.shape().end()));
      },
      storage);
  return text;
}

void note_external(Tape& tape, const Tensor& t) {
  const auto& impl = t.impl();
  if (tape.external_storages.insert(impl->storage.get()).second) {
    tape.externals.push_back({impl, impl->storage.get()});
  }
}

}  // namespace

void note_birth(const std::shared_ptr<Storage>& storage) {
  storage->born_in_capture = active_tape->id;
  active_tape->born.push_back(storage);
}

void note_in_place_change(Storage& storage, const char* op) {
  Tape& tape = *active_tape;
  const auto written = std::find_if(tape.last_writes.begin(), tape.last_writes.end(),
                                    [&](const auto& w) { return w.first == &storage; });
  if (written == tape.last_writes.end()) {
    if (tape.failure.empty()) {
      tape.failure = std::string("'") + op + "' changed the values of a " + describe(storage) +
                     " tensor in place, and replay cannot repeat it";
    }
    return;
  }
  if (tape.changed_storages.insert(&storage).second) tape.changed.emplace_back(written->second, op);
}

void record_kernel(const char* op, std::initializer_list<const Tensor*> reads,
                   std::initializer_list<const Tensor*> writes, std::function<void()> kernel) {
  Tape& tape = *active_tape;
  for (const Tensor* t : reads) {
    const Storage& storage = *t->impl()->storage;
    if (storage.born_in_capture == tape.id && storage.written_in_capture != tape.id) {
      throw std::invalid_argument(std::string("capture: '") + op + "' reads a " +
                                  describe(storage) +
                                  " tensor that the step computed with an op replay cannot repeat"
                                  " (see CapturedGraph for the ops it can)");
    }
    if (storage.born_in_capture != tape.id) note_external(tape, *t);
    tape.kept.emplace(&storage, t->impl()->storage);
  }
  tape.last_writes.clear();
  for (const Tensor* t : writes) {
    Storage& storage = *t->impl()->storage;
    storage.written_in_capture = tape.id;
    if (storage.born_in_capture != tape.id) note_external(tape, *t);
    tape.last_writes.emplace_back(&storage, t->impl()->storage);
    tape.kept.emplace(&storage, t->impl()->storage);
  }
  tape.kernels.push_back(std::move(kernel));
}

long tape_references(const Storage& storage) {
  return active_tape && active_tape->kept.count(&storage) ? 1 : 0;
}

void capture_unsupported(const std::string& what) {
  Tape& tape = *active_tape;
  if (tape.failure.empty()) tape.failure = what + " cannot be replayed";
}

void throw_replay_changed(const Storage& storage, std::size_t n) {
  throw std::runtime_error("replay: a tensor the step used holds " + describe(storage) +
                           " values now, not the " + std::to_string(n) +
                           " it held when the step was captured");
}

}  // namespace detail

CapturedGraph CapturedGraph::capture(const std::function<void()>& step) {
  if (detail::active_tape) {
    throw std::invalid_argument("capture: a capture is already running on this thread");
  }
  if (AnomalyMode::is_enabled()) {
    throw std::invalid_argument(
        "capture: anomaly mode is on; its checks read values on the host, which replay cannot "
        "repeat");
  }
  if (!step) throw std::invalid_argument("capture: the step is empty");
  auto tape = std::make_shared<detail::Tape>();
  tape->id = ++detail::last_tape_id;
  struct Active {
    explicit Active(detail::Tape* tape) { detail::active_tape = tape; }
    ~Active() { detail::active_tape = nullptr; }
  };
  {
    Active active(tape.get());
    step();
  }
  if (!tape->failure.empty()) throw std::invalid_argument("capture: " + tape->failure);
  for (const auto& weak : tape->born) {
    const std::shared_ptr<detail::Storage> storage = weak.lock();
    if (storage && storage->written_in_capture != tape->id) {
      throw std::invalid_argument(
          "capture: the step made a " + detail::describe(*storage) +
          " tensor with an op replay cannot repeat (see CapturedGraph for the ops it can; make "
          "constants before the capture)");
    }
  }
  tape->born.clear();
  tape->born.shrink_to_fit();
  tape->last_writes.clear();
  return CapturedGraph(std::move(tape));
}

void CapturedGraph::replay() {
  if (!tape_) throw std::runtime_error("replay: this CapturedGraph was moved from");
  if (detail::active_tape) throw std::runtime_error("replay: cannot run inside a capture");
  for (const detail::Tape::External& external : tape_->externals) {
    const std::shared_ptr<detail::TensorImpl> tensor = external.tensor.lock();
    // The handle a kernel saw may be gone (a detached alias); set_data also marks the values it
    // replaced, which the tape keeps.
    const char* last_change = external.storage->modified_by;
    if ((tensor && tensor->storage.get() != external.storage) ||
        (last_change && std::strcmp(last_change, "set_data") == 0)) {
      throw std::runtime_error(
          "replay: a tensor the step used was given new values by set_data since the capture; "
          "give it new values in place (copy_), or capture the step again");
    }
  }
  for (const auto& kernel : tape_->kernels) kernel();
  for (const auto& [weak, op] : tape_->changed) {
    if (const auto storage = weak.lock()) detail::bump_version(*storage, op);
  }
}

std::size_t CapturedGraph::kernels() const {
  return tape_ ? tape_->kernels.size() : 0;
}

}  // namespace xgrad

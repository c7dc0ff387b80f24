// distributed::ProcessGroup: MPI's non-blocking collectives polled against a deadline, with MPI's
// errors returned (MPI_ERRORS_RETURN) and turned into exceptions.
#include "distributed/process_group.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <thread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "autograd/factory.hpp"
#include "autograd/shape.hpp"
#include "autograd/tape.hpp"

namespace xgrad::distributed {

namespace {

// Set when a collective failed in this process: Environment then aborts instead of finalising.
bool collective_failed = false;

constexpr int query_tag = 1;
constexpr int reply_tag = 2;

MPI_Datatype mpi_type(Dtype dtype, const std::string& what) {
  switch (dtype) {
    case Dtype::float32:
      return MPI_FLOAT;
    case Dtype::float64:
      return MPI_DOUBLE;
    case Dtype::int64:
      return MPI_INT64_T;
    default:
      throw std::invalid_argument(what + ": " + dtype_name(dtype) +
                                  " tensors are not supported (float32, float64 or int64)");
  }
}

// Open MPI's non-blocking allreduce (coll/libnbc) picks a binomial tree by default; its ring
// (reduce-scatter then allgather, as the blocking tuned MPI_Allreduce and Horovod use for large
// messages) moves each byte once per direction and is 1.5-2x faster on one machine from 64 KB up
// (docs/distributed.md, Measurements). A value the user set (environment or mpirun --mca) wins.
void prefer_ring_allreduce() {
  setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1", /*overwrite=*/0);
}

// Open MPI's non-blocking collectives allocate their scratch buffers call by call (libnbc's ring:
// one the size of the message). glibc gives a freed block of a few MB back to the kernel (munmap,
// or trimming the top of the heap), so every step's collectives write into fresh pages that the
// kernel must fault in and zero in the middle of the copy: with two buckets of a few MB instead of
// one, mlp_large at 2 ranks ran at a third of its speed, with page faults and memset a quarter of
// the profile (docs/distributed.md). Keep freed blocks below 32 MB (glibc's largest mmap
// threshold) in the heap, and up to 128 MB at its top, for the next step to reuse. A setting of
// the user's (GLIBC_TUNABLES or the MALLOC_*_ variables) wins.
void keep_freed_memory() {
#ifdef __GLIBC__
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if ((tunables && std::strstr(tunables, "glibc.malloc.")) ||
      std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_")) {
    return;
  }
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::max:
      return MPI_MAX;
    case ReduceOp::min:
      return MPI_MIN;
    default:
      return MPI_SUM;
  }
}

void* values(Tensor& tensor) {
  // Collectives write values with no kernel a captured step could repeat.
  if (xgrad::detail::active_tape) {
    xgrad::detail::capture_unsupported("a collective (all_reduce, broadcast, ...)");
  }
  return dispatch_any(tensor.dtype(),
                      [&](auto zero) -> void* { return tensor.data<decltype(zero)>().data(); });
}

const void* values(const Tensor& tensor) {
  return dispatch_any(tensor.dtype(), [&](auto zero) -> const void* {
    return tensor.data<decltype(zero)>().data();
  });
}

// avg of floating values (an int64 avg is refused before the collective starts).
void scale(void* data, std::size_t count, Dtype dtype, double factor) {
  dispatch(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* p = static_cast<T*>(data);
    const T f = static_cast<T>(factor);
    for (std::size_t i = 0; i < count; ++i) p[i] *= f;
  });
}

void refuse_integer_average(const std::string& what, Dtype dtype, ReduceOp op) {
  if (op == ReduceOp::avg && !is_floating_point(dtype)) {
    throw std::invalid_argument(what + ": the average of " + dtype_name(dtype) +
                                " values is not an integer; reduce with sum and divide, or "
                                "convert to a floating dtype first");
  }
}

std::string ranks_list(const std::vector<int>& ranks) {
  std::string out;
  for (int r : ranks) out += (out.empty() ? "" : ", ") + std::to_string(r);
  return out;
}

int count_of(std::size_t count, const std::string& what) {
  if (count > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::invalid_argument(what + ": " + std::to_string(count) +
                                " values are more than one MPI call takes");
  }
  return static_cast<int>(count);
}

}  // namespace

const char* reduce_op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum:
      return "sum";
    case ReduceOp::avg:
      return "avg";
    case ReduceOp::max:
      return "max";
    default:
      return "min";
  }
}

Environment::Environment(int& argc, char**& argv) {
  prefer_ring_allreduce();
  keep_freed_memory();
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

Environment::Environment() {
  prefer_ring_allreduce();
  keep_freed_memory();
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

Environment::~Environment() {
  if (collective_failed) {
    // The other survivors time out at about the same moment: let them report before the abort
    // ends every process.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
}

Work::Work(Work&& other) noexcept : state_(std::move(other.state_)) {}

Work& Work::operator=(Work&& other) noexcept {
  if (this != &other) {
    if (state_ && !collective_failed) {
      try {
        wait();
      } catch (...) {
      }
    }
    state_ = std::move(other.state_);
  }
  return *this;
}

Work::~Work() {
  if (state_ && !collective_failed) {
    try {
      wait();
    } catch (...) {
    }
  }
}

void Work::wait() {
  if (!state_) return;
  std::unique_ptr<State> state = std::move(state_);
  state->group->wait_for(state->request, state->name, state->sequence);
  if (state->finish) state->finish();
}

bool Work::test() {
  if (!state_) return true;
  int done = 0;
  state_->group->check(MPI_Test(&state_->request, &done, MPI_STATUS_IGNORE), state_->name);
  if (!done) return false;
  std::unique_ptr<State> state = std::move(state_);
  if (state->finish) state->finish();
  return true;
}

ProcessGroup::ProcessGroup(MPI_Comm comm, std::chrono::milliseconds timeout) : timeout_(timeout) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    throw std::runtime_error(
        "ProcessGroup: MPI is not initialised; make a distributed::Environment "
        "first");
  }
  set_timeout(timeout);
  check(MPI_Comm_dup(comm, &comm_), "ProcessGroup");
  check(MPI_Comm_dup(comm, &control_), "ProcessGroup");
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(control_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

ProcessGroup::~ProcessGroup() {
  // A failed group may have requests pending on a dead rank; freeing it could wait for them.
  if (collective_failed) return;
  MPI_Comm_free(&control_);
  MPI_Comm_free(&comm_);
}

void ProcessGroup::set_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) {
    throw std::invalid_argument("ProcessGroup: timeout must be positive, got " +
                                std::to_string(timeout.count()) + " ms");
  }
  timeout_ = timeout;
}

void ProcessGroup::check(int rc, const std::string& what) const {
  if (rc == MPI_SUCCESS) return;
  char message[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, message, &length);
  collective_failed = true;
  throw CollectiveError(what + " on rank " + std::to_string(rank_) + " of " +
                        std::to_string(size_) + ": MPI error: " + std::string(message, length));
}

Work ProcessGroup::start(const std::string& name, MPI_Request request,
                         std::function<void()> finish) {
  auto state = std::make_unique<Work::State>();
  state->group = this;
  state->request = request;
  state->name = name;
  state->sequence = sequence_;
  state->finish = std::move(finish);
  return Work(std::move(state));
}

void ProcessGroup::answer_queries(long sequence) {
  for (;;) {
    int arrived = 0;
    MPI_Status status;
    if (MPI_Iprobe(MPI_ANY_SOURCE, query_tag, control_, &arrived, &status) != MPI_SUCCESS ||
        !arrived) {
      return;
    }
    long theirs = 0;
    MPI_Recv(&theirs, 1, MPI_LONG, status.MPI_SOURCE, query_tag, control_, MPI_STATUS_IGNORE);
    // One long goes out eagerly: the send returns at once.
    MPI_Send(&sequence, 1, MPI_LONG, status.MPI_SOURCE, reply_tag, control_);
  }
}

std::vector<int> ProcessGroup::missing_ranks(long sequence) {
  // Ask every other rank which collective it is waiting in; those in this one answer from their
  // own wait loop. A dead or busy rank does not answer within the grace period.
  std::vector<MPI_Request> sends(size_, MPI_REQUEST_NULL), receives(size_, MPI_REQUEST_NULL);
  std::vector<long> answers(size_, -1);
  for (int r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    MPI_Isend(&sequence, 1, MPI_LONG, r, query_tag, control_, &sends[r]);
    MPI_Irecv(&answers[r], 1, MPI_LONG, r, reply_tag, control_, &receives[r]);
  }
  const auto grace = std::min<std::chrono::milliseconds>(timeout_, std::chrono::seconds(2));
  const auto deadline = std::chrono::steady_clock::now() + grace;
  std::vector<char> answered(size_, 0);
  answered[rank_] = 1;
  while (std::chrono::steady_clock::now() < deadline &&
         std::count(answered.begin(), answered.end(), 1) < size_) {
    answer_queries(sequence);
    for (int r = 0; r < size_; ++r) {
      int done = 0;
      if (!answered[r] && MPI_Test(&receives[r], &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && done) {
        answered[r] = 1;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::vector<int> missing;
  for (int r = 0; r < size_; ++r) {
    if (r != rank_ && (!answered[r] || answers[r] != sequence)) missing.push_back(r);
  }
  if (missing.empty()) missing.push_back(-1);  // everyone is here but the collective is stuck
  return missing;
}

void ProcessGroup::wait_for(MPI_Request& request, const std::string& name, long sequence) {
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + timeout_;
  for (long polls = 0;; ++polls) {
    int done = 0;
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), name);
    if (done) return;
    // Spin briefly (a collective on one machine takes microseconds), then poll gently so that
    // a waiting rank leaves the cores to the others.
    if (polls % 64 == 63) {
      answer_queries(sequence);
      if (std::chrono::steady_clock::now() >= deadline) break;
    }
    if (polls > 2000) std::this_thread::yield();
  }
  collective_failed = true;
  std::vector<int> missing = missing_ranks(sequence);
  const double seconds = std::chrono::duration<double>(timeout_).count();
  std::string message = name + " timed out after " + std::to_string(seconds).substr(0, 5) +
                        " s on rank " + std::to_string(rank_) + " of " + std::to_string(size_) +
                        " (collective #" + std::to_string(sequence) + "): ";
  if (missing.front() < 0) {
    missing.clear();
    message += "every rank joined but it did not complete";
  } else {
    message += (missing.size() == 1 ? "rank " : "ranks ") + ranks_list(missing) +
               " did not join (dead, still computing, or in another collective)";
  }
  throw CollectiveTimeout(message, missing);
}

void ProcessGroup::all_reduce(Tensor& tensor, ReduceOp op) {
  all_reduce_async(tensor, op).wait();
}

Work ProcessGroup::all_reduce_async(Tensor& tensor, ReduceOp op) {
  if (!tensor.defined()) throw std::invalid_argument("all_reduce: tensor is undefined");
  Tensor keep = tensor;
  Work work = all_reduce_async(values(tensor), tensor.numel(), tensor.dtype(), op);
  std::function<void()> finish = std::move(work.state_->finish);
  work.state_->finish = [keep, finish] {
    if (finish) finish();
  };
  return work;
}

void ProcessGroup::all_reduce(void* data, std::size_t count, Dtype dtype, ReduceOp op) {
  all_reduce_async(data, count, dtype, op).wait();
}

Work ProcessGroup::all_reduce_async(void* data, std::size_t count, Dtype dtype, ReduceOp op) {
  const std::string name = std::string("all_reduce(") + reduce_op_name(op) + ")";
  refuse_integer_average(name, dtype, op);
  const MPI_Datatype type = mpi_type(dtype, name);
  MPI_Request request;
  ++sequence_;
  check(
      MPI_Iallreduce(MPI_IN_PLACE, data, count_of(count, name), type, mpi_op(op), comm_, &request),
      name);
  std::function<void()> finish;
  if (op == ReduceOp::avg) {
    const double factor = 1.0 / size_;
    finish = [data, count, dtype, factor] { scale(data, count, dtype, factor); };
  }
  return start(name, request, std::move(finish));
}

void ProcessGroup::broadcast(Tensor& tensor, int root) {
  broadcast_async(tensor, root).wait();
}

Work ProcessGroup::broadcast_async(Tensor& tensor, int root) {
  if (!tensor.defined()) throw std::invalid_argument("broadcast: tensor is undefined");
  if (root < 0 || root >= size_) {
    throw std::out_of_range("broadcast: root " + std::to_string(root) + " is not a rank of " +
                            std::to_string(size_));
  }
  const MPI_Datatype type = mpi_type(tensor.dtype(), "broadcast");
  MPI_Request request;
  ++sequence_;
  check(MPI_Ibcast(values(tensor), count_of(tensor.numel(), "broadcast"), type, root, comm_,
                   &request),
        "broadcast");
  Tensor keep = tensor;
  return start("broadcast", request, [keep] {});
}

Tensor ProcessGroup::all_gather(const Tensor& tensor) {
  if (!tensor.defined()) throw std::invalid_argument("all_gather: tensor is undefined");
  Shape shape = tensor.shape();
  shape.insert(shape.begin(), static_cast<std::size_t>(size_));
  Tensor output = zeros(shape, tensor.dtype());
  all_gather_async(tensor, output).wait();
  return output;
}

Work ProcessGroup::all_gather_async(const Tensor& tensor, Tensor& output) {
  if (!tensor.defined() || !output.defined()) {
    throw std::invalid_argument("all_gather: tensor is undefined");
  }
  if (output.dtype() != tensor.dtype() ||
      output.numel() != tensor.numel() * static_cast<std::size_t>(size_)) {
    throw std::invalid_argument("all_gather: output is " + std::string(dtype_name(output.dtype())) +
                                " " + format_shape(output.shape()) + ", expected " +
                                dtype_name(tensor.dtype()) + " with " + std::to_string(size_) +
                                " x " + format_shape(tensor.shape()) + " values");
  }
  const MPI_Datatype type = mpi_type(tensor.dtype(), "all_gather");
  MPI_Request request;
  ++sequence_;
  const int count = count_of(tensor.numel(), "all_gather");
  check(MPI_Iallgather(values(tensor), count, type, values(output), count, type, comm_, &request),
        "all_gather");
  Tensor keep_in = tensor, keep_out = output;
  return start("all_gather", request, [keep_in, keep_out] {});
}

Tensor ProcessGroup::reduce_scatter(const Tensor& tensor, ReduceOp op) {
  if (!tensor.defined()) throw std::invalid_argument("reduce_scatter: tensor is undefined");
  const Shape in = tensor.shape();
  if (in.empty() || in[0] % static_cast<std::size_t>(size_) != 0) {
    throw std::invalid_argument("reduce_scatter: first axis of " + format_shape(in) +
                                " is not a multiple of the world size " + std::to_string(size_));
  }
  Shape shape = in;
  shape[0] /= static_cast<std::size_t>(size_);
  Tensor output = zeros(shape, tensor.dtype());
  reduce_scatter_async(tensor, output, op).wait();
  return output;
}

Work ProcessGroup::reduce_scatter_async(const Tensor& tensor, Tensor& output, ReduceOp op) {
  if (!tensor.defined() || !output.defined()) {
    throw std::invalid_argument("reduce_scatter: tensor is undefined");
  }
  if (output.dtype() != tensor.dtype() ||
      output.numel() * static_cast<std::size_t>(size_) != tensor.numel()) {
    throw std::invalid_argument("reduce_scatter: input " + format_shape(tensor.shape()) +
                                " does not split into " + std::to_string(size_) + " blocks of " +
                                format_shape(output.shape()));
  }
  const std::string name = std::string("reduce_scatter(") + reduce_op_name(op) + ")";
  refuse_integer_average(name, tensor.dtype(), op);
  const MPI_Datatype type = mpi_type(tensor.dtype(), name);
  MPI_Request request;
  ++sequence_;
  const std::size_t count = output.numel();
  check(MPI_Ireduce_scatter_block(values(tensor), values(output), count_of(count, name), type,
                                  mpi_op(op), comm_, &request),
        name);
  Tensor keep_in = tensor, keep_out = output;
  const double factor = 1.0 / size_;
  return start(name, request, [keep_in, keep_out, op, factor, count]() mutable {
    if (op == ReduceOp::avg) scale(values(keep_out), count, keep_out.dtype(), factor);
  });
}

void ProcessGroup::barrier() {
  barrier_async().wait();
}

Work ProcessGroup::barrier_async() {
  MPI_Request request;
  ++sequence_;
  check(MPI_Ibarrier(comm_, &request), "barrier");
  return start("barrier", request, nullptr);
}

void ProcessGroup::abort(int code) {
  MPI_Abort(comm_, code);
  std::abort();
}

}  // namespace xgrad::distributed

// distributed::ProcessGroup: collectives (all_reduce, broadcast, all_gather, reduce_scatter,
// barrier) over an MPI communicator, blocking or returning a Work handle, each with a timeout, as
// PyTorch's ProcessGroup and Horovod's operations. The only place besides its .cpp that sees MPI.
#pragma once

#include <mpi.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad::distributed {

enum class ReduceOp { sum, avg, max, min };

/// "sum", "avg", "max" or "min".
const char* reduce_op_name(ReduceOp op);

/// An MPI call failed inside a collective: says which collective, which rank, and MPI's message.
class CollectiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A collective did not complete within the group's timeout: says which collective, on which rank,
/// and which ranks had not joined it.
class CollectiveTimeout : public CollectiveError {
 public:
  CollectiveTimeout(const std::string& message, std::vector<int> missing_ranks)
      : CollectiveError(message), missing_ranks_(std::move(missing_ranks)) {}
  const std::vector<int>& missing_ranks() const { return missing_ranks_; }

 private:
  std::vector<int> missing_ranks_;
};

/// Initialises MPI (threads funnelled: only the thread that made it calls MPI) and finalises it
/// when destroyed. If a collective has failed in this process, the destructor calls MPI_Abort
/// instead: the communicator may be waiting for a dead rank, and MPI_Finalize would wait too.
/// Make one, first thing in main, before any ProcessGroup. It also asks glibc's malloc to keep
/// freed blocks of up to 32 MB for reuse instead of handing them back to the kernel (MPI's
/// collectives allocate scratch buffers of a message's size each call), unless GLIBC_TUNABLES or
/// MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ set malloc's behaviour already.
class Environment {
 public:
  Environment(int& argc, char**& argv);
  Environment();
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
};

class ProcessGroup;

/// A collective in flight. wait() blocks until it completes (throwing CollectiveTimeout after the
/// group's timeout, CollectiveError on an MPI error); test() polls it once. The buffers a
/// collective reads and writes are kept alive by the handle. Destroying an unfinished Work waits
/// for it (errors then are swallowed: call wait() to see them).
class Work {
 public:
  Work() = default;
  Work(Work&&) noexcept;
  Work& operator=(Work&&) noexcept;
  Work(const Work&) = delete;
  Work& operator=(const Work&) = delete;
  ~Work();

  void wait();
  bool test();
  bool completed() const { return !state_; }

 private:
  friend class ProcessGroup;
  struct State {
    ProcessGroup* group;
    MPI_Request request;
    std::string name;
    long sequence;
    std::function<void()> finish;  // runs once, when the collective completed
  };
  explicit Work(std::unique_ptr<State> state) : state_(std::move(state)) {}
  std::unique_ptr<State> state_;
};

/// Collectives over a duplicate of an MPI communicator (MPI_COMM_WORLD by default), so its
/// messages never mix with the caller's. Every rank must call the same collectives in the same
/// order. Tensors are float32, float64 or int64 (avg: floating only), contiguous; in-place
/// collectives write the tensor's own values (unseen by autograd, as torch.distributed does).
class ProcessGroup {
 public:
  explicit ProcessGroup(MPI_Comm comm = MPI_COMM_WORLD,
                        std::chrono::milliseconds timeout = std::chrono::minutes(5));
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return size_; }
  /// How long a collective may wait for the other ranks before throwing CollectiveTimeout.
  std::chrono::milliseconds timeout() const { return timeout_; }
  /// Throws std::invalid_argument for a timeout that is not positive.
  void set_timeout(std::chrono::milliseconds timeout);

  /// Reduces `tensor` over all ranks, in place on every rank.
  void all_reduce(Tensor& tensor, ReduceOp op = ReduceOp::sum);
  Work all_reduce_async(Tensor& tensor, ReduceOp op = ReduceOp::sum);
  /// The same on a flat buffer of `count` values of `dtype` (a gradient bucket); the caller keeps
  /// the buffer alive until the Work completes.
  void all_reduce(void* data, std::size_t count, Dtype dtype, ReduceOp op = ReduceOp::sum);
  Work all_reduce_async(void* data, std::size_t count, Dtype dtype, ReduceOp op = ReduceOp::sum);

  /// Copies root's values into `tensor` on every rank; shapes must agree.
  void broadcast(Tensor& tensor, int root = 0);
  Work broadcast_async(Tensor& tensor, int root = 0);

  /// Every rank's `tensor`, stacked: shape (world_size, *tensor.shape), row r from rank r.
  Tensor all_gather(const Tensor& tensor);
  /// The same into `output`, which must have that shape and dtype.
  Work all_gather_async(const Tensor& tensor, Tensor& output);

  /// Reduces `tensor` (first axis world_size * k) over ranks and returns this rank's block of k
  /// rows. Throws std::invalid_argument when the first axis is not a multiple of world_size.
  Tensor reduce_scatter(const Tensor& tensor, ReduceOp op = ReduceOp::sum);
  Work reduce_scatter_async(const Tensor& tensor, Tensor& output, ReduceOp op = ReduceOp::sum);

  void barrier();
  Work barrier_async();

  /// Ends every process of the group (MPI_Abort) with `code`.
  [[noreturn]] void abort(int code = 1);

 private:
  friend class Work;
  // Throws CollectiveError "<what> on rank R: MPI error: <message>" when rc is not MPI_SUCCESS.
  void check(int rc, const std::string& what) const;
  Work start(const std::string& name, MPI_Request request, std::function<void()> finish);
  // Polls `request` against the deadline; on timeout asks the other ranks which collective they
  // are in and throws CollectiveTimeout naming those that did not join.
  void wait_for(MPI_Request& request, const std::string& name, long sequence);
  // Answers another rank's "which collective are you in" query, if one arrived.
  void answer_queries(long sequence);
  std::vector<int> missing_ranks(long sequence);

  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Comm control_ = MPI_COMM_NULL;  // for the timeout queries, apart from the collectives
  int rank_ = 0;
  int size_ = 1;
  std::chrono::milliseconds timeout_;
  long sequence_ = 0;  // collectives started on this group
};

}  // namespace xgrad::distributed

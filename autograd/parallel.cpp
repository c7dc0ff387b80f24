// The pool behind parallel_for: get_num_threads() - 1 workers, started on first use and restarted
// when the cap changes, asleep on a condition variable between calls. A call hands out pieces
// through one atomic counter; the caller takes pieces too, then waits for the workers to finish.
#include "autograd/parallel.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "autograd/threads.hpp"

namespace xgrad {

namespace {

using Body = std::function<void(std::size_t, std::size_t)>;

// True on a thread while it runs pieces, so that a nested parallel_for runs inline.
thread_local bool inside_body = false;

class Pool {
 public:
  Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() { stop_workers(); }

  // Runs every piece with `threads` threads in all, or returns false at once when another thread's
  // call holds the pool.
  bool try_run(std::size_t begin, std::size_t end, std::size_t grain, std::size_t pieces,
               int threads, const Body& body) {
    std::unique_lock<std::mutex> job(job_mutex_, std::try_to_lock);
    if (!job.owns_lock()) return false;
    resize(static_cast<std::size_t>(threads - 1));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      body_ = &body;
      begin_ = begin;
      end_ = end;
      grain_ = grain;
      pieces_ = pieces;
      next_.store(0);
      active_ = true;
      ++generation_;
    }
    wake_.notify_all();
    work();
    // Wait for the workers that joined this call (they may be running pieces), not for those
    // still waking up: when the calling thread ran every piece itself before a worker was
    // scheduled, the call ends now instead of a wake-up latency later (seed_mlp at 2 threads
    // spent more time waiting so than its elementwise kernels take).
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return busy_ == 0; });
    active_ = false;
    body_ = nullptr;
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    return true;
  }

 private:
  // Takes pieces until none is left.
  void work() {
    inside_body = true;
    for (std::size_t p; (p = next_.fetch_add(1)) < pieces_;) {
      const std::size_t b = begin_ + p * grain_;
      try {
        (*body_)(b, b + std::min(grain_, end_ - b));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
        next_.store(pieces_);  // start no further piece
      }
    }
    inside_body = false;
  }

  void worker_loop(std::uint64_t seen) {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        if (!active_) continue;  // woke after that call ended: nothing to join
        ++busy_;
      }
      work();
      std::lock_guard<std::mutex> lock(mutex_);
      if (--busy_ == 0) done_.notify_one();
    }
  }

  // Called with job_mutex_ held, so no call is running.
  void resize(std::size_t count) {
    if (owner_ != getpid()) {
      // A fork's child has the parent's handles but none of its threads: keep the handles, unjoined
      // (joining would wait forever, destroying them would terminate), and start afresh.
      static auto* abandoned = new std::vector<std::thread>;  // never destroyed, on purpose
      for (std::thread& worker : workers_) abandoned->push_back(std::move(worker));
      workers_.clear();
      owner_ = getpid();
    }
    if (workers_.size() == count) return;
    stop_workers();
    for (std::size_t i = 0; i < count; ++i) {
      try {
        workers_.emplace_back([this, seen = generation_] { worker_loop(seen); });
      } catch (const std::system_error&) {
        break;  // no more threads to be had: run with those started
      }
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& worker : workers_) worker.join();
    workers_.clear();
    stop_ = false;
  }

  std::mutex job_mutex_;  // held by the call that owns the pool
  std::mutex mutex_;      // guards what workers wait on, and error_
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  pid_t owner_ = getpid();
  bool stop_ = false;
  std::uint64_t generation_ = 0;  // one per call
  bool active_ = false;           // a call is running: a worker that wakes joins it
  std::size_t busy_ = 0;          // workers that joined this call and are still on it
  std::exception_ptr error_;
  // The call: set under mutex_ before workers wake, read by them after.
  const Body* body_ = nullptr;
  std::size_t begin_ = 0, end_ = 0, grain_ = 1, pieces_ = 0;
  std::atomic<std::size_t> next_{0};
};

Pool& pool() {
  static Pool instance;
  return instance;
}

}  // namespace

void parallel_for(std::size_t begin, std::size_t end, std::size_t grain, const Body& body) {
  if (grain == 0) throw std::invalid_argument("parallel_for: grain must be at least 1, got 0");
  if (end <= begin) return;
  const std::size_t n = end - begin;
  const std::size_t pieces = n / grain + (n % grain != 0);
  const int threads = get_num_threads();
  if (pieces > 1 && threads > 1 && !inside_body &&
      pool().try_run(begin, end, grain, pieces, threads, body)) {
    return;
  }
  for (std::size_t b = begin; b < end; b += std::min(grain, end - b)) {
    body(b, b + std::min(grain, end - b));
  }
}

namespace detail {

void for_each_large_range(std::size_t n, const Body& body) {
  const auto threads = static_cast<std::size_t>(std::max(1, get_num_threads()));
  if (threads == 1 || inside_body) {
    body(0, n);
    return;
  }
  // Four pieces per thread, handed out as threads come free: a thread that shares its core (with
  // OpenBLAS's workers, which spin for a while after each product) takes fewer.
  const std::size_t share = std::max<std::size_t>(kParallelMinElements / 4, n / (4 * threads));
  parallel_for(0, n, (share + 15) / 16 * 16, body);
}

}  // namespace detail

}  // namespace xgrad

// The fault test's worker (tests/distributed/fault_test.sh): trains a small model with
// DistributedDataParallel, rank 0 writing a checkpoint after every step.
//   fault_worker kill CHECKPOINT TIMEOUT_MS   the last rank SIGKILLs itself before step 5; the
//                                             others must fail in a collective within the timeout
//   fault_worker resume CHECKPOINT TIMEOUT_MS every rank loads the checkpoint and trains on
// Exit codes: 0 done, 2 another error; when a collective failed, main prints its message and
// returns 3, and Environment's destructor then ends the job with MPI_Abort (mpirun exits non-zero).
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <iostream>
#include <string>

#include "autograd/factory.hpp"
#include "autograd/ops.hpp"
#include "distributed/distributed_data_parallel.hpp"
#include "nn/activation.hpp"
#include "nn/linear.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/sequential.hpp"
#include "nn/serialize.hpp"

using namespace xgrad;

namespace {

// A whole line in one write: the ranks share the log, and a line written piece by piece by two
// ranks at once interleaves ("rank rank 0: ... 1: ..."), which the fault test then cannot read.
void say(int fd, const std::string& line) {
  const std::string text = line + "\n";
  [[maybe_unused]] const ssize_t written = ::write(fd, text.data(), text.size());
}

}  // namespace

int main(int argc, char** argv) {
  distributed::Environment environment(argc, argv);
  if (argc != 4) {
    std::cerr << "usage: fault_worker kill|resume CHECKPOINT TIMEOUT_MS\n";
    return 2;
  }
  const std::string mode = argv[1], path = argv[2];
  distributed::ProcessGroup group(MPI_COMM_WORLD, std::chrono::milliseconds(std::stol(argv[3])));
  const int rank = group.rank();
  try {
    Generator g(1);
    auto model =
        std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
            std::make_shared<nn::Linear>(4, 32, true, nn::Init::kaiming_uniform, g, float64),
            std::make_shared<nn::Tanh>(),
            std::make_shared<nn::Linear>(32, 1, true, nn::Init::kaiming_uniform, g, float64)});
    long first_step = 0;
    if (mode == "resume") {
      nn::NamedTensors state = nn::load(path);
      for (auto it = state.begin(); it != state.end(); ++it) {
        if (it->first == "step") {
          first_step = std::lround(it->second.item()) + 1;
          state.erase(it);
          break;
        }
      }
      model->load_state_dict(state);
    }
    distributed::DistributedDataParallel ddp(model, group);
    optim::SGD sgd(ddp.parameters(), 0.01, 0.9);
    Generator data(100 + rank);
    for (long step = first_step; step < first_step + 10; ++step) {
      if (mode == "kill" && step == 5 && rank == group.world_size() - 1) {
        say(2, "rank " + std::to_string(rank) + ": killing myself before step " +
                   std::to_string(step));
        ::raise(SIGKILL);
      }
      const Tensor x = randn({8, 4}, data, float64);
      sgd.zero_grad();
      mse_loss(ddp(x), x.sum({1}, true)).backward();
      sgd.step();
      if (rank == 0) {
        nn::NamedTensors state = model->state_dict();
        Tensor s = zeros({1}, float64);
        s.data<double>()(0) = static_cast<double>(step);
        state.emplace_back("step", s);
        nn::save(state, path);
      }
    }
    // Replicas must agree: the spread of a parameter sum over ranks is zero.
    Tensor sum = model->parameters()[0].sum().detach().clone(), low = sum.clone();
    group.all_reduce(sum, distributed::ReduceOp::max);
    group.all_reduce(low, distributed::ReduceOp::min);
    if (sum.item() != low.item()) {
      say(2, "rank " + std::to_string(rank) + ": replicas differ");
      return 2;
    }
    say(1, "rank " + std::to_string(rank) + ": " +
               (mode == "resume" ? "resumed from step " : "trained from step ") +
               std::to_string(first_step) + " to " + std::to_string(first_step + 9) +
               ", replicas agree");
    return 0;
  } catch (const distributed::CollectiveError& e) {
    say(2, "rank " + std::to_string(rank) + ": " + e.what());
    return 3;
  } catch (const std::exception& e) {
    say(2, "rank " + std::to_string(rank) + ": error: " + e.what());
    return 2;
  }
}

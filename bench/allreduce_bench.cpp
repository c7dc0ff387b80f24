// Allreduce bus bandwidth through xgrad's ProcessGroup (float32, in place, blocking) for 1 KB to
// 64 MB messages; bench/mpi_allreduce_reference.c times the same loop on MPI_Allreduce directly.
// busbw = 2 (N - 1) / N * bytes / time, NCCL-tests' definition. One JSON line per size, rank 0.
//   mpirun -np 2 allreduce_bench [--max-mb 64] [--iters 20]
#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "distributed/process_group.hpp"

using namespace xgrad;

int main(int argc, char** argv) {
  distributed::Environment environment(argc, argv);
  double max_mb = 64;
  int iters = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--max-mb") max_mb = std::stod(argv[i + 1]);
    if (a == "--iters") iters = std::stoi(argv[i + 1]);
  }
  distributed::ProcessGroup group;
  const int n = group.world_size();
  for (std::size_t bytes = 1024; bytes <= static_cast<std::size_t>(max_mb * (1 << 20));
       bytes *= 4) {
    const std::size_t count = bytes / sizeof(float);
    std::vector<float> buffer(count, 1.0f);
    group.all_reduce(buffer.data(), count, float32);  // warm-up
    const int reps =
        std::max(3, static_cast<int>(iters * std::min(1.0, (1 << 20) / double(bytes)) + 0.5));
    group.barrier();
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) group.all_reduce(buffer.data(), count, float32);
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / reps;
    if (group.rank() == 0) {
      std::cout << "{\"program\": \"xgrad_allreduce\", \"ranks\": " << n << ", \"bytes\": " << bytes
                << ", \"seconds\": " << t
                << ", \"busbw_GBps\": " << 2.0 * (n - 1) / n * bytes / t / 1e9 << "}" << std::endl;
    }
  }
  return 0;
}

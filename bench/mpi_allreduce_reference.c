/* The reference for allreduce_bench: the same sizes and loop on Open MPI's MPI_Allreduce from
 * plain C (in place, float32, blocking), so the difference is xgrad's layer. The one file outside
 * distributed/ that includes <mpi.h>, by design: it is the baseline.
 *   mpirun -np 2 mpi_allreduce_reference [max_mb] [iters] */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, n;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  const double max_mb = argc > 1 ? atof(argv[1]) : 64;
  const int iters = argc > 2 ? atoi(argv[2]) : 20;
  for (size_t bytes = 1024; bytes <= (size_t)(max_mb * (1 << 20)); bytes *= 4) {
    const int count = (int)(bytes / sizeof(float));
    float* buffer = malloc(bytes);
    for (int i = 0; i < count; ++i) buffer[i] = 1.0f;
    MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    double scale = (double)(1 << 20) / (double)bytes;
    if (scale > 1) scale = 1;
    int reps = (int)(iters * scale + 0.5);
    if (reps < 3) reps = 3;
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    for (int r = 0; r < reps; ++r) {
      MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
    const double t = (MPI_Wtime() - start) / reps;
    if (rank == 0) {
      printf("{\"program\": \"mpi_allreduce\", \"ranks\": %d, \"bytes\": %zu, \"seconds\": %g, "
             "\"busbw_GBps\": %g}\n", n, bytes, t, 2.0 * (n - 1) / n * (double)bytes / t / 1e9);
      fflush(stdout);
    }
    free(buffer);
  }
  MPI_Finalize();
  return 0;
}

// The Catch2 main of the distributed tests: MPI is initialised around the whole session, since
// MPI_Init may run only once per process. Run alone (one rank) or under mpirun -np N.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "distributed/process_group.hpp"

int main(int argc, char** argv) {
  xgrad::distributed::Environment environment(argc, argv);
  return Catch::Session().run(argc, argv);
}

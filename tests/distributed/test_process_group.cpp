// The collectives of ProcessGroup on whatever number of ranks the test runs with.
#include <catch2/catch.hpp>

#include "autograd/factory.hpp"
#include "distributed/process_group.hpp"

using namespace xgrad;
using namespace xgrad::distributed;

namespace {

// rank r holds r + 1 + i at index i.
Tensor ranked(int rank, std::size_t n, Dtype dtype) {
  Tensor t = zeros({n}, dtype);
  dispatch(dtype, [&](auto zero) {
    using T = decltype(zero);
    for (std::size_t i = 0; i < n; ++i) t.data<T>()(i) = static_cast<T>(rank + 1 + i);
  });
  return t;
}

}  // namespace

TEST_CASE("all_reduce sums, averages, and takes max and min over ranks, in both dtypes",
          "[distributed][process_group]") {
  ProcessGroup group;
  const int n = group.world_size();
  const double rank_sum = n * (n + 1) / 2.0;  // sum of r + 1
  for (Dtype dtype : {float32, float64}) {
    Tensor t = ranked(group.rank(), 5, dtype);
    group.all_reduce(t, ReduceOp::sum);
    for (std::size_t i = 0; i < 5; ++i) CHECK(t.to(float64).data<double>()(i) == rank_sum + n * i);
    t = ranked(group.rank(), 5, dtype);
    group.all_reduce(t, ReduceOp::avg);
    for (std::size_t i = 0; i < 5; ++i) {
      CHECK(t.to(float64).data<double>()(i) == Approx(rank_sum / n + i));
    }
    t = ranked(group.rank(), 5, dtype);
    group.all_reduce(t, ReduceOp::max);
    CHECK(t.to(float64).data<double>()(0) == n);
    t = ranked(group.rank(), 5, dtype);
    group.all_reduce(t, ReduceOp::min);
    CHECK(t.to(float64).data<double>()(0) == 1);
  }
}

TEST_CASE("non-blocking all_reduce completes on wait and on test", "[distributed][process_group]") {
  ProcessGroup group;
  Tensor a = ranked(group.rank(), 1000, float64);
  Tensor b = ranked(group.rank(), 3, float32);
  Work wa = group.all_reduce_async(a, ReduceOp::max);
  Work wb = group.all_reduce_async(b, ReduceOp::min);
  wa.wait();
  while (!wb.test()) {
  }
  CHECK(wa.completed());
  CHECK(a.data<double>()(999) == group.world_size() + 999);
  CHECK(b.data<float>()(2) == 3.0f);
}

TEST_CASE("broadcast copies the root's values to every rank", "[distributed][process_group]") {
  ProcessGroup group;
  const int root = group.world_size() - 1;
  Tensor t = ranked(group.rank(), 4, float64);
  group.broadcast(t, root);
  CHECK(t.data<double>()(0) == root + 1);
  CHECK_THROWS_WITH(group.broadcast(t, group.world_size()),
                    "broadcast: root " + std::to_string(group.world_size()) + " is not a rank of " +
                        std::to_string(group.world_size()));
}

TEST_CASE("all_gather stacks every rank's tensor in rank order", "[distributed][process_group]") {
  ProcessGroup group;
  const Tensor all = group.all_gather(ranked(group.rank(), 3, float32).reshape({1, 3}));
  REQUIRE(all.shape() == Shape{static_cast<std::size_t>(group.world_size()), 1, 3});
  for (int r = 0; r < group.world_size(); ++r) CHECK(all.data<float>()(r, 0, 2) == r + 3.0f);
}

TEST_CASE("reduce_scatter gives each rank its block of the sum", "[distributed][process_group]") {
  ProcessGroup group;
  const auto n = static_cast<std::size_t>(group.world_size());
  const Tensor mine = group.reduce_scatter(ranked(group.rank(), 2 * n, float64), ReduceOp::sum);
  REQUIRE(mine.shape() == Shape{2});
  const double rank_sum = n * (n + 1) / 2.0;
  CHECK(mine.data<double>()(0) == rank_sum + n * (2.0 * group.rank()));
  CHECK(mine.data<double>()(1) == rank_sum + n * (2.0 * group.rank() + 1));
  if (n > 1) {
    CHECK_THROWS_WITH(group.reduce_scatter(zeros({2 * n + 1}, float64)),
                      Catch::Contains("is not a multiple of the world size"));
  }
}

TEST_CASE("barrier returns on every rank and a bad timeout is refused",
          "[distributed][process_group]") {
  ProcessGroup group;
  group.barrier();
  group.barrier_async().wait();
  CHECK_THROWS_WITH(group.set_timeout(std::chrono::milliseconds(0)),
                    "ProcessGroup: timeout must be positive, got 0 ms");
}

TEST_CASE(
    "int64 tensors are summed, reduced, broadcast and gathered exactly; their average and bool "
    "tensors are refused",
    "[distributed][process_group]") {
  ProcessGroup group;
  const int n = group.world_size();
  const std::int64_t big = std::int64_t{1} << 53;  // above float64's exact integers once summed
  Tensor t = from_vector(std::vector<std::int64_t>{big + group.rank(), -group.rank()}, {2});
  group.all_reduce(t, ReduceOp::sum);
  CHECK(t.data<std::int64_t>()(0) == n * big + n * (n - 1) / 2);
  CHECK(t.data<std::int64_t>()(1) == -n * (n - 1) / 2);
  t = from_vector(std::vector<std::int64_t>{group.rank(), 7}, {2});
  group.all_reduce(t, ReduceOp::max);
  CHECK(t.data<std::int64_t>()(0) == n - 1);
  t = from_vector(std::vector<std::int64_t>{group.rank() == 0 ? 42 : 0}, {1});
  group.broadcast(t, 0);
  CHECK(t.data<std::int64_t>()(0) == 42);
  const Tensor all = group.all_gather(from_vector(std::vector<std::int64_t>{group.rank()}, {1}));
  REQUIRE(all.dtype() == int64);
  for (int r = 0; r < n; ++r) CHECK(all.data<std::int64_t>()(r, 0) == r);

  Tensor labels = from_vector(std::vector<std::int64_t>{1, 2}, {2});
  CHECK_THROWS_WITH(group.all_reduce(labels, ReduceOp::avg),
                    Catch::Contains("all_reduce(avg): the average of int64 values"));
  Tensor mask = zeros({2}, boolean);
  CHECK_THROWS_WITH(group.all_reduce(mask, ReduceOp::sum),
                    Catch::Contains("all_reduce(sum): bool tensors are not supported"));
  // Refused before anything was sent: the group still works, on every rank alike.
  group.barrier();
}

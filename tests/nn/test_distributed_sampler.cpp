// data::DistributedSampler and the DataLoader over it: disjoint equal shards of one permutation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "autograd/factory.hpp"
#include "nn/data/dataset.hpp"
#include "nn/data/distributed_sampler.hpp"

using namespace xgrad;
using xgrad::data::DistributedSampler;

TEST_CASE("distributed sampler shards cover the dataset once, padded to equal sizes",
          "[nn][data][distributed]") {
  const std::size_t n = 23;
  for (std::size_t replicas : {1, 2, 3, 4}) {
    std::vector<std::size_t> all;
    for (std::size_t r = 0; r < replicas; ++r) {
      DistributedSampler sampler(n, replicas, r, true, 9);
      sampler.set_epoch(2);
      const auto shard = sampler.indices();
      CHECK(shard.size() == (n + replicas - 1) / replicas);
      all.insert(all.end(), shard.begin(), shard.end());
    }
    CHECK(all.size() == (n + replicas - 1) / replicas * replicas);
    CHECK(std::set<std::size_t>(all.begin(), all.end()).size() == n);  // padding repeats a few
  }
}

TEST_CASE("distributed sampler with drop_last cuts to equal disjoint shards",
          "[nn][data][distributed]") {
  std::set<std::size_t> seen;
  for (std::size_t r = 0; r < 3; ++r) {
    const auto shard = DistributedSampler(23, 3, r, true, 1, true).indices();
    CHECK(shard.size() == 7);
    for (std::size_t i : shard) CHECK(seen.insert(i).second);
  }
  CHECK(seen.size() == 21);
}

TEST_CASE("distributed sampler draws one permutation per epoch, the same on every worker",
          "[nn][data][distributed]") {
  DistributedSampler a(50, 2, 0, true, 4), b(50, 2, 0, true, 4);
  CHECK(a.indices() == b.indices());
  const auto first = a.indices();
  a.set_epoch(1);
  CHECK(a.indices() != first);
  b.set_epoch(1);
  CHECK(a.indices() == b.indices());
  // Without shuffle, worker r takes r, r + N, ...
  CHECK(DistributedSampler(7, 3, 1, false).indices() == std::vector<std::size_t>{1, 4, 0});
}

TEST_CASE("distributed sampler refuses bad arguments", "[nn][data][distributed]") {
  CHECK_THROWS_WITH(DistributedSampler(0, 2, 0), "DistributedSampler: the dataset is empty");
  CHECK_THROWS_WITH(DistributedSampler(5, 0, 0),
                    "DistributedSampler: num_replicas must be at least 1");
  CHECK_THROWS_WITH(DistributedSampler(5, 2, 2),
                    "DistributedSampler: rank 2 is not below num_replicas 2");
  CHECK_THROWS_WITH(
      DistributedSampler(2, 3, 0, true, 0, true),
      "DistributedSampler: with drop_last, 2 samples leave none for each of 3 workers");
}

TEST_CASE("a data loader over a distributed sampler serves that worker's shard in batches",
          "[nn][data][distributed]") {
  const data::Dataset dataset(arange(0, 10, 1, float64).reshape({10, 1}), zeros({10}, float64));
  auto sampler = std::make_shared<DistributedSampler>(10, 3, 2, false);
  data::DataLoader loader(dataset, 3, sampler);
  CHECK(loader.size() == 2);  // 4 samples: 2, 5, 8 and the padding 1
  std::vector<double> seen;
  for (const data::Batch& batch : loader) {
    for (std::size_t i = 0; i < batch.x.size(0); ++i) seen.push_back(batch.x.data<double>()(i, 0));
  }
  CHECK(seen == std::vector<double>{2, 5, 8, 1});
  CHECK_THROWS_WITH(data::DataLoader(dataset, 3, std::make_shared<DistributedSampler>(20, 3, 0)),
                    "DataLoader: the sampler deals 21 samples, the dataset has 10");
}

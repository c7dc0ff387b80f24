// Tests of data::Dataset and data::DataLoader: batches, epochs, shuffling, drop_last and errors.
#include <catch2/catch.hpp>

#include "gradient_checks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "autograd/autograd.hpp"
#include "nn/data/dataset.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::rows;
using xgrad::testing::values;

namespace {

// n samples whose x row is (i, -i) and whose target is 10 i, so a batch shows which rows it holds.
data::Dataset numbered(std::size_t n) {
  xt::xarray<double> x = xt::xarray<double>::from_shape({n, std::size_t{2}});
  xt::xarray<double> y = xt::xarray<double>::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) {
    x(i, 0) = static_cast<double>(i);
    x(i, 1) = -static_cast<double>(i);
    y(i) = 10.0 * static_cast<double>(i);
  }
  return data::Dataset(Tensor(x), Tensor(y));
}

// One epoch: the sample numbers of each batch, checking that x and y rows stay paired.
std::vector<std::vector<std::size_t>> run_epoch(data::DataLoader& loader) {
  std::vector<std::vector<std::size_t>> batches;
  for (const data::Batch& batch : loader) {
    REQUIRE(batch.x.size(0) == batch.y.size(0));
    std::vector<std::size_t> ids;
    for (std::size_t i = 0; i < batch.x.size(0); ++i) {
      const double id = batch.x.data<double>()(i, 0);
      CHECK(batch.x.data<double>()(i, 1) == -id);
      CHECK(batch.y.data<double>()(i) == 10.0 * id);
      ids.push_back(static_cast<std::size_t>(id));
    }
    batches.push_back(ids);
  }
  return batches;
}

std::vector<std::size_t> flatten(const std::vector<std::vector<std::size_t>>& batches) {
  std::vector<std::size_t> all;
  for (const auto& b : batches) all.insert(all.end(), b.begin(), b.end());
  return all;
}

std::vector<std::size_t> range(std::size_t n) {
  std::vector<std::size_t> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = i;
  return out;
}

}  // namespace

TEST_CASE("DataLoader without shuffling serves the samples in order, the last batch smaller",
          "[data][dataloader]") {
  data::DataLoader loader(numbered(10), 4);
  CHECK(loader.size() == 3);
  CHECK(loader.batch_size() == 4);
  const auto batches = run_epoch(loader);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0] == std::vector<std::size_t>{0, 1, 2, 3});
  CHECK(batches[1] == std::vector<std::size_t>{4, 5, 6, 7});
  CHECK(batches[2] == std::vector<std::size_t>{8, 9});
  CHECK(run_epoch(loader) == batches);  // every epoch the same
}

TEST_CASE("a shuffled DataLoader serves every sample exactly once per epoch",
          "[data][dataloader]") {
  data::DataLoader loader(numbered(23), 5, /*shuffle=*/true, /*seed=*/3);
  for (int epoch = 0; epoch < 3; ++epoch) {
    const auto batches = run_epoch(loader);
    REQUIRE(batches.size() == 5);
    for (std::size_t b = 0; b < 4; ++b) CHECK(batches[b].size() == 5);
    CHECK(batches[4].size() == 3);
    std::vector<std::size_t> all = flatten(batches);
    CHECK(all != range(23));  // shuffled
    std::sort(all.begin(), all.end());
    CHECK(all == range(23));
  }
}

TEST_CASE("drop_last drops the short last batch, with and without shuffling",
          "[data][dataloader]") {
  const bool shuffle = GENERATE(false, true);
  data::DataLoader loader(numbered(10), 4, shuffle, 1, /*drop_last=*/true);
  CHECK(loader.size() == 2);
  const auto batches = run_epoch(loader);
  REQUIRE(batches.size() == 2);
  std::vector<std::size_t> all = flatten(batches);
  REQUIRE(all.size() == 8);
  std::sort(all.begin(), all.end());
  CHECK(std::unique(all.begin(), all.end()) == all.end());  // no sample twice
  if (!shuffle) CHECK(all == range(8));
  // A batch size that divides the data drops nothing; one larger than it leaves no batch.
  data::DataLoader exact(numbered(8), 4, shuffle, 1, true);
  CHECK(exact.size() == 2);
  CHECK(flatten(run_epoch(exact)).size() == 8);
  data::DataLoader too_big(numbered(3), 4, shuffle, 1, true);
  CHECK(too_big.size() == 0);
  CHECK(run_epoch(too_big).empty());
}

TEST_CASE("shuffled epochs differ, and the same seed gives the same epochs", "[data][dataloader]") {
  data::DataLoader first(numbered(30), 8, true, 42);
  data::DataLoader second(numbered(30), 8, true, 42);
  data::DataLoader other_seed(numbered(30), 8, true, 43);
  const auto epoch1 = flatten(run_epoch(first));
  const auto epoch2 = flatten(run_epoch(first));
  CHECK(epoch1 != epoch2);
  CHECK(flatten(run_epoch(second)) == epoch1);
  CHECK(flatten(run_epoch(second)) == epoch2);
  CHECK(flatten(run_epoch(other_seed)) != epoch1);
}

TEST_CASE("Dataset::get returns the rows at the indices in order", "[data][dataloader]") {
  const data::Dataset dataset = numbered(5);
  CHECK(dataset.size() == 5);
  const data::Batch batch = dataset.get({4, 0, 4});
  CHECK(rows(batch.x) == std::vector<std::vector<double>>{{4, -4}, {0, 0}, {4, -4}});
  CHECK(values(batch.y) == std::vector<double>{40, 0, 40});
  CHECK_THROWS_AS(dataset.get({5}), std::out_of_range);
  CHECK_THROWS_WITH(dataset.get({5}), Contains("index 5 out of range for axis 0 of extent 5"));
}

TEST_CASE("Dataset and DataLoader reject mismatched, empty or non-finite data and batch size 0",
          "[data][dataloader]") {
  CHECK_THROWS_AS(data::Dataset(ones({3, 2}), ones({4})), std::invalid_argument);
  CHECK_THROWS_WITH(data::Dataset(ones({3, 2}), ones({4})),
                    Contains("Dataset: x has 3 rows, y has 4"));
  CHECK_THROWS_WITH(data::Dataset(zeros({0, 2}), zeros({0})), Contains("Dataset: no samples"));
  CHECK_THROWS_WITH(data::Dataset(scalar_tensor(1), ones({1})),
                    Contains("Dataset: x () and y (1,) need a row axis"));
  CHECK_THROWS_WITH(data::Dataset(Tensor(), ones({1})), Contains("Dataset: x or y is undefined"));
  Tensor x = ones({3, 2}, float64);
  x.data<double>()(2, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(data::Dataset(x, ones({3})),
                    Contains("Dataset: x holds nan at row 2, column 1"));
  Tensor y = ones({3}, float64);
  y.data<double>()(1) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(data::Dataset(ones({3, 2}), y), Contains("Dataset: y holds inf at row 1"));
  CHECK_THROWS_AS(data::DataLoader(numbered(3), 0), std::invalid_argument);
  CHECK_THROWS_WITH(data::DataLoader(numbered(3), 0),
                    Contains("DataLoader: batch_size must be at least 1"));
  CHECK_THROWS_WITH(data::DataLoader(data::Dataset(), 2),
                    Contains("DataLoader: the dataset is empty"));
}

// Test helpers for the models: the real data sets in data/, split as
// scripts/make_model_reference.py splits them (row i is a test row when i % 5 == 0), so scores
// compare with scikit-learn's.
#pragma once

#include <string>
#include <vector>

#include "autograd/autograd.hpp"
#include "nn/data/csv.hpp"

namespace xgrad::testing {

struct Split {
  Tensor x_train, y_train, x_test, y_test;
};

inline Split every_fifth_row_split(const std::string& name, Dtype dtype = float64) {
  const auto [x, y] = data::load_csv(std::string(XGRAD_DATA_DIR) + "/" + name + ".csv", -1, dtype);
  std::vector<std::size_t> train, test;
  for (std::size_t i = 0; i < x.size(0); ++i) (i % 5 == 0 ? test : train).push_back(i);
  return {index_select(x, 0, train), index_select(y, 0, train), index_select(x, 0, test),
          index_select(y, 0, test)};
}

}  // namespace xgrad::testing

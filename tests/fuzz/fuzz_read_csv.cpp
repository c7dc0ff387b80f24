// libFuzzer target: data::read_csv on arbitrary bytes, with ',' and with '\t' as the delimiter.
// Each parse must either throw std::invalid_argument (bad content, as documented) or return a
// table that keeps read_csv's promises: unique column names, a float64 (rows, columns) tensor of
// finite values, increasing line numbers. Anything else (another exception, a sanitizer report, a
// broken promise) stops the fuzzer.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>

#include "nn/data/csv.hpp"

namespace {

[[noreturn]] void broken(const char* promise) {
  std::fprintf(stderr, "fuzz_read_csv: read_csv broke a promise: %s\n", promise);
  std::abort();
}

void check_table(const xgrad::data::CsvTable& table) {
  const std::size_t rows = table.rows();
  const std::size_t columns = table.columns.size();
  if (rows == 0 || columns == 0) broken("a table has at least one row and one column");
  if (!table.values.defined() || table.values.dtype() != xgrad::float64) {
    broken("values are a float64 tensor");
  }
  if (table.values.shape() != xgrad::Shape{rows, columns}) broken("values are (rows, columns)");
  for (std::size_t j = 0; j < columns; ++j) {
    if (table.column_index(table.columns[j]) != j) broken("column names are unique");
  }
  for (std::size_t i = 1; i < rows; ++i) {
    if (table.lines[i] <= table.lines[i - 1]) broken("line numbers increase");
  }
  for (double value : table.values.data<double>()) {
    if (!std::isfinite(value)) broken("values are finite");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (char delimiter : {',', '\t'}) {
    std::istringstream input(text);
    try {
      check_table(xgrad::data::read_csv(input, delimiter, "fuzz.csv"));
    } catch (const std::invalid_argument&) {
      // Bad content, reported as documented.
    }
  }
  return 0;
}

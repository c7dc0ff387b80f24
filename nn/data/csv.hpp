// Reading numeric CSV files with a header row into tensors: read_csv for the whole table, load_csv
// for features X and a target column y.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "autograd/dtype.hpp"
#include "autograd/tensor.hpp"

namespace xgrad::data {

/// A numeric table read from CSV: the header's column names and a float64 tensor of the values.
struct CsvTable {
  std::string source;                // the path (or stream name) it came from, for messages
  std::vector<std::string> columns;  // header names, in file order
  Tensor values;                     // (rows, columns), float64
  std::vector<std::size_t> lines;    // the 1-based file line of each row

  std::size_t rows() const { return lines.size(); }
  /// The index of the column called `name`. Throws std::invalid_argument
  /// "CsvTable: iris.csv has no column 'petal'; columns are 'a', 'b'".
  std::size_t column_index(const std::string& name) const;
};

/// Reads a CSV file whose first non-blank line is a header and every other non-blank line holds
/// one number per column. Header fields may be quoted ("a, b" with "" for a quote); fields are
/// trimmed of surrounding spaces and tabs; CRLF line endings, a UTF-8 byte-order mark and blank
/// lines (a trailing newline included) are accepted; a quoted field cannot span lines.
/// Throws std::runtime_error when the file cannot be opened or read, and std::invalid_argument
/// naming the file, the line and the column (name and 0-based index) for bad content:
///   "read_csv: data/iris.csv:14: column 'sepal_width' (index 1): "abc" is not a number"
/// A file with no header, no data rows, a row with the wrong number of fields, an empty (missing)
/// value, NaN or infinity written in the file, or two columns with the same name is an error too.
CsvTable read_csv(const std::string& path, char delimiter = ',');
/// The same from a stream; `source` names it in messages.
CsvTable read_csv(std::istream& input, char delimiter = ',',
                  const std::string& source = "<stream>");

/// Reads a CSV file and splits it into X (N, D) holding every column but the target, in file
/// order, and y (N,) holding the target column, both in `dtype` unless `target_dtype` says
/// otherwise (int64 reads class labels). Throws what read_csv throws, std::invalid_argument for an
/// unknown target name, a table with no feature column, a value too large for float32, or a label
/// that is not a whole number for int64 (naming its line and column).
std::pair<Tensor, Tensor> load_csv(const std::string& path, const std::string& target,
                                   Dtype dtype = float32, char delimiter = ',',
                                   std::optional<Dtype> target_dtype = std::nullopt);
/// The same with the target given by its 0-based column index; negative counts from the end
/// (-1 is the last column). Throws std::out_of_range for an index outside the columns.
std::pair<Tensor, Tensor> load_csv(const std::string& path, long target, Dtype dtype = float32,
                                   char delimiter = ',',
                                   std::optional<Dtype> target_dtype = std::nullopt);

}  // namespace xgrad::data

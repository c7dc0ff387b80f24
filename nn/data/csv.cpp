// read_csv and load_csv: a line-by-line CSV reader whose every error names file, line and column.
#include "nn/data/csv.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "autograd/ops.hpp"

namespace xgrad::data {

namespace {

struct Field {
  std::string text;
  bool quoted = false;
};

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string trim(const std::string& s) {
  std::size_t begin = 0;
  std::size_t end = s.size();
  while (begin < end && is_blank(s[begin])) ++begin;
  while (end > begin && is_blank(s[end - 1])) --end;
  return s.substr(begin, end - begin);
}

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string where(const std::string& source, std::size_t line) {
  return "read_csv: " + source + ":" + std::to_string(line) + ": ";
}

std::string column_label(const std::vector<std::string>& columns, std::size_t index) {
  return "column '" + columns[index] + "' (index " + std::to_string(index) + ")";
}

// Splits one line into fields. Quotes open only at the start of a field (after blanks); inside
// them the delimiter is literal and "" is a quote. Unquoted fields are trimmed.
std::vector<Field> split_fields(const std::string& line, char delimiter, const std::string& source,
                                std::size_t line_number) {
  std::vector<Field> fields;
  Field current;
  bool in_quotes = false;
  bool closed = false;  // a quoted field ended; only blanks may follow before the delimiter
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_quotes) {
      if (c != '"') {
        current.text += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        current.text += '"';
        ++i;
      } else {
        in_quotes = false;
        closed = true;
      }
    } else if (c == delimiter) {
      if (!current.quoted) current.text = trim(current.text);
      fields.push_back(std::move(current));
      current = Field{};
      closed = false;
    } else if (closed) {
      if (!is_blank(c)) {
        throw std::invalid_argument(where(source, line_number) + "field " +
                                    std::to_string(fields.size()) + ": text after a closing quote");
      }
    } else if (c == '"' && trim(current.text).empty()) {
      current.text.clear();
      current.quoted = true;
      in_quotes = true;
    } else {
      current.text += c;
    }
  }
  if (in_quotes) {
    throw std::invalid_argument(where(source, line_number) + "field " +
                                std::to_string(fields.size()) +
                                ": unterminated quote (a field cannot span lines)");
  }
  if (!current.quoted) current.text = trim(current.text);
  fields.push_back(std::move(current));
  return fields;
}

// Parses a whole field as a finite double, or says why it is not one.
double parse_value(const Field& field, const std::string& source, std::size_t line_number,
                   const std::vector<std::string>& columns, std::size_t column) {
  const std::string text = field.quoted ? trim(field.text) : field.text;
  const auto fail = [&](const std::string& why) {
    return std::invalid_argument(where(source, line_number) + column_label(columns, column) + ": " +
                                 why);
  };
  if (text.empty()) throw fail("missing value");
  // from_chars takes no leading '+'; accept it as strtod does, but not "+-1".
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (*first == '+' && text.size() > 1 && text[1] != '-' && text[1] != '+') ++first;
  double value = 0.0;
  const auto [end, error] = std::from_chars(first, last, value);
  if (error == std::errc::result_out_of_range) {
    throw fail("\"" + text + "\" is out of the range of float64");
  }
  if (error != std::errc() || end != last) throw fail("\"" + text + "\" is not a number");
  if (!std::isfinite(value)) {
    throw fail("\"" + text + "\" is not finite (NaN and infinity are not accepted)");
  }
  return value;
}

std::string list_columns(const std::vector<std::string>& columns) {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    out += (i ? ", '" : "'") + columns[i] + "'";
  }
  return out;
}

// X = every column but `target`, in `dtype`; y = the target column, in `target_dtype` (`dtype` if
// unset).
std::pair<Tensor, Tensor> split_target(const CsvTable& table, std::size_t target, Dtype dtype,
                                       std::optional<Dtype> target_dtype) {
  const std::size_t n = table.rows();
  const std::size_t d = table.columns.size();
  if (d < 2) {
    throw std::invalid_argument("load_csv: " + table.source +
                                " has no feature column, only the target " +
                                column_label(table.columns, target));
  }
  const auto& values = table.values.data<double>();
  if (dtype == float32) {
    const double largest = std::numeric_limits<float>::max();
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) {
        if (std::abs(values(i, j)) > largest) {
          throw std::invalid_argument("load_csv: " + table.source + ":" +
                                      std::to_string(table.lines[i]) + ": " +
                                      column_label(table.columns, j) + ": " +
                                      format_number(values(i, j)) + " does not fit in float32");
        }
      }
    }
  }
  std::vector<std::size_t> features;
  for (std::size_t j = 0; j < d; ++j) {
    if (j != target) features.push_back(j);
  }
  Tensor x = index_select(table.values, 1, features);
  Tensor y = select(table.values, 1, target);
  const Dtype y_dtype = target_dtype.value_or(dtype);
  if (y_dtype == int64) {
    // Class labels: whole numbers that fit an int64, checked before converting (which would be
    // undefined behaviour for anything else).
    for (std::size_t i = 0; i < n; ++i) {
      const double v = values(i, target);
      if (std::floor(v) != v || std::abs(v) > 9.0e18) {
        throw std::invalid_argument("load_csv: " + table.source + ":" +
                                    std::to_string(table.lines[i]) + ": " +
                                    column_label(table.columns, target) + ": " + format_number(v) +
                                    " is not an integer label");
      }
    }
  } else if (!is_floating_point(y_dtype)) {
    throw std::invalid_argument(std::string("load_csv: the target can be read as float32, float64 "
                                            "or int64, not ") +
                                dtype_name(y_dtype));
  }
  return {x.to(dtype).detach(), y.to(y_dtype).detach()};
}

}  // namespace

std::size_t CsvTable::column_index(const std::string& name) const {
  for (std::size_t j = 0; j < columns.size(); ++j) {
    if (columns[j] == name) return j;
  }
  throw std::invalid_argument("CsvTable: " + source + " has no column '" + name +
                              "'; columns are " + list_columns(columns));
}

namespace {

// One line ending in \n, \r\n or a lone \r (classic Mac OS files), without its ending; false
// when nothing is left.
bool read_line(std::istream& input, std::string& line) {
  line.clear();
  std::istream::sentry ok(input, true);
  if (!ok) return false;
  std::streambuf* in = input.rdbuf();
  bool any = false;
  for (;;) {
    int c;
    try {
      c = in->sbumpc();
    } catch (...) {  // a failing read (as std::getline does: the stream goes bad)
      input.setstate(std::ios::badbit);
      return false;
    }
    if (c == std::char_traits<char>::eof()) {
      input.setstate(any ? std::ios::eofbit : std::ios::eofbit | std::ios::failbit);
      return any;
    }
    any = true;
    if (c == '\n') return true;
    if (c == '\r') {
      try {
        if (in->sgetc() == '\n') in->sbumpc();
      } catch (...) {
        input.setstate(std::ios::badbit);
      }
      return true;
    }
    line.push_back(static_cast<char>(c));
  }
}

}  // namespace

CsvTable read_csv(std::istream& input, char delimiter, const std::string& source) {
  if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
    throw std::invalid_argument("read_csv: the delimiter cannot be a quote or a line break");
  }
  CsvTable table;
  table.source = source;
  std::vector<double> values;
  std::string line;
  std::size_t line_number = 0;
  std::size_t header_line = 0;
  while (read_line(input, line)) {
    ++line_number;
    if (line_number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 BOM
    if (trim(line).empty()) continue;
    std::vector<Field> fields = split_fields(line, delimiter, source, line_number);
    if (header_line == 0) {
      header_line = line_number;
      for (std::size_t j = 0; j < fields.size(); ++j) {
        for (std::size_t k = 0; k < j; ++k) {
          if (table.columns[k] == fields[j].text) {
            throw std::invalid_argument(where(source, line_number) + "duplicate column name '" +
                                        fields[j].text + "' (indices " + std::to_string(k) +
                                        " and " + std::to_string(j) + ")");
          }
        }
        table.columns.push_back(std::move(fields[j].text));
      }
      continue;
    }
    if (fields.size() != table.columns.size()) {
      throw std::invalid_argument(where(source, line_number) + std::to_string(fields.size()) +
                                  " fields, but the header has " +
                                  std::to_string(table.columns.size()) + " columns");
    }
    for (std::size_t j = 0; j < fields.size(); ++j) {
      values.push_back(parse_value(fields[j], source, line_number, table.columns, j));
    }
    table.lines.push_back(line_number);
  }
  if (input.bad()) throw std::runtime_error("read_csv: error while reading " + source);
  if (header_line == 0)
    throw std::invalid_argument("read_csv: " + source + " is empty (no header)");
  if (table.lines.empty()) {
    throw std::invalid_argument("read_csv: " + source + " has a header (line " +
                                std::to_string(header_line) + ") but no data rows");
  }
  auto data = TensorValues<double>::from_shape({table.lines.size(), table.columns.size()});
  std::copy(values.begin(), values.end(), data.begin());
  table.values = Tensor(std::move(data));
  return table;
}

CsvTable read_csv(const std::string& path, char delimiter) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw std::runtime_error("read_csv: cannot open " + path + ": it is a directory");
  }
  errno = 0;
  std::ifstream file(path);
  if (!file) {
    const std::string reason = errno ? std::strerror(errno) : "unknown error";
    throw std::runtime_error("read_csv: cannot open " + path + ": " + reason);
  }
  return read_csv(file, delimiter, path);
}

std::pair<Tensor, Tensor> load_csv(const std::string& path, const std::string& target, Dtype dtype,
                                   char delimiter, std::optional<Dtype> target_dtype) {
  const CsvTable table = read_csv(path, delimiter);
  const auto found = std::find(table.columns.begin(), table.columns.end(), target);
  if (found == table.columns.end()) {
    throw std::invalid_argument("load_csv: " + path + " has no column '" + target +
                                "'; columns are " + list_columns(table.columns));
  }
  return split_target(table, static_cast<std::size_t>(found - table.columns.begin()), dtype,
                      target_dtype);
}

std::pair<Tensor, Tensor> load_csv(const std::string& path, long target, Dtype dtype,
                                   char delimiter, std::optional<Dtype> target_dtype) {
  const CsvTable table = read_csv(path, delimiter);
  const long d = static_cast<long>(table.columns.size());
  if (target < -d || target >= d) {
    throw std::out_of_range("load_csv: target column " + std::to_string(target) +
                            " out of range for the " + std::to_string(d) + " columns of " + path);
  }
  return split_target(table, static_cast<std::size_t>(target < 0 ? target + d : target), dtype,
                      target_dtype);
}

}  // namespace xgrad::data

// Tests of read_csv and load_csv: parsing, target selection, and errors that name file, line and
// column.
#include <catch2/catch.hpp>

#include "gradient_checks.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include "nn/data/csv.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::rows;
using xgrad::testing::values;

namespace {

// A folder of this process's own for test files, removed when the tests end.
struct TempFolder {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("xgrad_test_csv_" + std::to_string(::getpid()));
  TempFolder() { std::filesystem::create_directories(path); }
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

// Writes `text` to a file in the temporary folder and returns its path. Each test case uses its
// own file names.
std::string write_file(const std::string& name, const std::string& text) {
  static const TempFolder folder;
  const std::filesystem::path path = folder.path / name;
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

data::CsvTable parse(const std::string& text, char delimiter = ',') {
  std::istringstream input(text);
  return data::read_csv(input, delimiter, "test.csv");
}

}  // namespace

TEST_CASE("read_csv reads the header names and the values as float64", "[data][csv]") {
  const data::CsvTable table = parse("a,b,c\n1,2.5,-3\n4e2,+5,.5\n");
  CHECK(table.source == "test.csv");
  CHECK(table.columns == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(table.values.shape() == Shape{2, 3});
  CHECK(table.values.dtype() == float64);
  const auto& v = table.values.data<double>();
  CHECK(v(0, 0) == 1.0);
  CHECK(v(0, 1) == 2.5);
  CHECK(v(0, 2) == -3.0);
  CHECK(v(1, 0) == 400.0);
  CHECK(v(1, 1) == 5.0);
  CHECK(v(1, 2) == 0.5);
  CHECK(table.rows() == 2);
  CHECK(table.lines == std::vector<std::size_t>{2, 3});
  CHECK(table.column_index("c") == 2);
}

TEST_CASE("read_csv accepts quoted names, CRLF, blanks around fields, blank lines and a BOM",
          "[data][csv]") {
  const data::CsvTable table = parse(
      "\xEF\xBB\xBF \"sepal, width\" ,\t\"say \"\"hi\"\"\"\r\n\r\n 1.5 , \"2\" \r\n3,4\r\n\r\n");
  CHECK(table.columns == std::vector<std::string>{"sepal, width", "say \"hi\""});
  REQUIRE(table.values.shape() == Shape{2, 2});
  const auto& v = table.values.data<double>();
  CHECK(v(0, 0) == 1.5);
  CHECK(v(0, 1) == 2.0);
  CHECK(v(1, 0) == 3.0);
  CHECK(v(1, 1) == 4.0);
  CHECK(table.lines == std::vector<std::size_t>{3, 4});
}

TEST_CASE("read_csv splits on another delimiter", "[data][csv]") {
  const data::CsvTable table = parse("x;y\n1.5;2\n", ';');
  CHECK(table.columns == std::vector<std::string>{"x", "y"});
  CHECK(values(table.values) == std::vector<double>{1.5, 2});
  CHECK_THROWS_WITH(parse("x;y\n1,5;2\n", ';'), Contains("\"1,5\" is not a number"));
  const data::CsvTable tabs = parse("x\ty\n1\t2\n", '\t');
  CHECK(tabs.values.data<double>()(0, 1) == 2.0);
}

TEST_CASE("read_csv reads a file by path", "[data][csv]") {
  const std::string path = write_file("read_by_path.csv", "u,v\n1,2\n3,4\n");
  const data::CsvTable table = data::read_csv(path);
  CHECK(table.source == path);
  CHECK(table.values.data<double>()(1, 1) == 4.0);
}

TEST_CASE("load_csv splits a file into features and a target named by column", "[data][csv]") {
  const std::string path =
      write_file("load_by_name.csv", "sepal_length,species,sepal_width\n5.1,0,3.5\n6.2,2,2.9\n");
  const auto [x, y] = data::load_csv(path, "species");
  CHECK(x.dtype() == float32);
  CHECK(y.dtype() == float32);
  REQUIRE(x.shape() == Shape{2, 2});
  REQUIRE(y.shape() == Shape{2});
  CHECK(x.data<float>()(0, 0) == 5.1f);
  CHECK(x.data<float>()(0, 1) == 3.5f);
  CHECK(x.data<float>()(1, 0) == 6.2f);
  CHECK(x.data<float>()(1, 1) == 2.9f);
  CHECK(y.data<float>()(0) == 0.0f);
  CHECK(y.data<float>()(1) == 2.0f);
  CHECK_FALSE(x.requires_grad());
}

TEST_CASE("load_csv takes the target by index, negative counting from the end", "[data][csv]") {
  const std::string path = write_file("load_by_index.csv", "a,b,c\n1,2,3\n4,5,6\n");
  const auto [x0, y0] = data::load_csv(path, 0, float64);
  CHECK(rows(x0) == std::vector<std::vector<double>>{{2, 3}, {5, 6}});
  CHECK(values(y0) == std::vector<double>{1, 4});
  const auto [x_last, y_last] = data::load_csv(path, -1, float64);
  CHECK(rows(x_last) == std::vector<std::vector<double>>{{1, 2}, {4, 5}});
  CHECK(values(y_last) == std::vector<double>{3, 6});
}

TEST_CASE("read_csv names the file, line and column of a value that is not a number",
          "[data][csv]") {
  const std::string path =
      write_file("not_a_number.csv", "sepal_length,sepal_width\n5.1,3.5\n4.9,abc\n");
  CHECK_THROWS_AS(data::read_csv(path), std::invalid_argument);
  CHECK_THROWS_WITH(data::read_csv(path),
                    Contains("read_csv: " + path +
                             ":3: column 'sepal_width' (index 1): \"abc\" is not a number"));
  CHECK_THROWS_WITH(parse("a\n1.5x\n"), Contains("test.csv:2: column 'a' (index 0): \"1.5x\""));
  CHECK_THROWS_WITH(parse("a\n+-1\n"), Contains("\"+-1\" is not a number"));
}

TEST_CASE("read_csv names the line and column of a missing value", "[data][csv]") {
  const std::string path = write_file("missing_value.csv", "a,b,c\n1,2,3\n4,,6\n");
  CHECK_THROWS_AS(data::read_csv(path), std::invalid_argument);
  CHECK_THROWS_WITH(data::read_csv(path),
                    Contains(path + ":3: column 'b' (index 1): missing value"));
  CHECK_THROWS_WITH(parse("a,b\n1,  \n"), Contains("test.csv:2: column 'b' (index 1): missing"));
  CHECK_THROWS_WITH(parse("a,b\n\"\",1\n"), Contains("test.csv:2: column 'a' (index 0): missing"));
}

TEST_CASE("read_csv rejects NaN and infinity written in the file", "[data][csv]") {
  for (const std::string value : {"nan", "NaN", "inf", "-Infinity"}) {
    CHECK_THROWS_AS(parse("a,b\n1," + value + "\n"), std::invalid_argument);
    CHECK_THROWS_WITH(parse("a,b\n1," + value + "\n"),
                      Contains("test.csv:2: column 'b' (index 1): \"" + value +
                               "\" is not finite (NaN and infinity are not accepted)"));
  }
  CHECK_THROWS_WITH(parse("a\n1e999\n"), Contains("\"1e999\" is out of the range of float64"));
}

TEST_CASE("read_csv rejects rows with the wrong number of fields", "[data][csv]") {
  const std::string path = write_file("ragged.csv", "a,b,c\n1,2,3\n4,5\n");
  CHECK_THROWS_AS(data::read_csv(path), std::invalid_argument);
  CHECK_THROWS_WITH(data::read_csv(path), Contains(path + ":3: 2 fields, but the header has 3"));
  CHECK_THROWS_WITH(parse("a,b\n1,2,\n"), Contains("test.csv:2: 3 fields, but the header has 2"));
}

TEST_CASE("read_csv reports a missing file, an empty file and a file without data rows",
          "[data][csv]") {
  const std::string missing = write_file("exists.csv", "a\n1\n") + ".nothere";
  CHECK_THROWS_AS(data::read_csv(missing), std::runtime_error);
  CHECK_THROWS_WITH(data::read_csv(missing),
                    Contains("read_csv: cannot open " + missing + ": No such file or directory"));
  const std::string empty = write_file("empty.csv", "");
  CHECK_THROWS_AS(data::read_csv(empty), std::invalid_argument);
  CHECK_THROWS_WITH(data::read_csv(empty), Contains("read_csv: " + empty + " is empty"));
  CHECK_THROWS_WITH(parse("\n  \r\n"), Contains("test.csv is empty (no header)"));
  const std::string header_only = write_file("header_only.csv", "a,b\n\n");
  CHECK_THROWS_AS(data::read_csv(header_only), std::invalid_argument);
  CHECK_THROWS_WITH(data::read_csv(header_only),
                    Contains(header_only + " has a header (line 1) but no data rows"));
  const std::string folder = std::filesystem::path(empty).parent_path().string();
  CHECK_THROWS_AS(data::read_csv(folder), std::runtime_error);
  CHECK_THROWS_WITH(data::read_csv(folder), Contains("it is a directory"));
}

TEST_CASE("read_csv rejects duplicate column names", "[data][csv]") {
  CHECK_THROWS_AS(parse("a,b,\"a\"\n1,2,3\n"), std::invalid_argument);
  CHECK_THROWS_WITH(parse("a,b,\"a\"\n1,2,3\n"),
                    Contains("test.csv:1: duplicate column name 'a' (indices 0 and 2)"));
}

TEST_CASE("read_csv rejects a broken quote and a quote delimiter", "[data][csv]") {
  CHECK_THROWS_AS(parse("\"a,b\n1,2\n"), std::invalid_argument);
  CHECK_THROWS_WITH(parse("\"a,b\n1,2\n"), Contains("test.csv:1: field 0: unterminated quote"));
  CHECK_THROWS_WITH(parse("\"a\"x,b\n1,2\n"),
                    Contains("test.csv:1: field 0: text after a closing quote"));
  CHECK_THROWS_AS(parse("a\n1\n", '"'), std::invalid_argument);
  CHECK_THROWS_WITH(parse("a\n1\n", '\n'),
                    Contains("read_csv: the delimiter cannot be a quote or a line break"));
}

TEST_CASE("load_csv rejects an unknown target name and an index out of range", "[data][csv]") {
  const std::string path = write_file("targets.csv", "a,b,c\n1,2,3\n");
  CHECK_THROWS_AS(data::load_csv(path, "d"), std::invalid_argument);
  CHECK_THROWS_WITH(
      data::load_csv(path, "d"),
      Contains("load_csv: " + path + " has no column 'd'; columns are 'a', 'b', 'c'"));
  CHECK_THROWS_AS(data::load_csv(path, 3), std::out_of_range);
  CHECK_THROWS_WITH(
      data::load_csv(path, 3),
      Contains("load_csv: target column 3 out of range for the 3 columns of " + path));
  CHECK_THROWS_AS(data::load_csv(path, -4), std::out_of_range);
  const data::CsvTable table = data::read_csv(path);
  CHECK_THROWS_WITH(table.column_index("z"), Contains("CsvTable: " + path + " has no column 'z'"));
}

TEST_CASE("load_csv rejects a table with only the target and a value too large for float32",
          "[data][csv]") {
  const std::string single = write_file("single_column.csv", "y\n1\n2\n");
  CHECK_THROWS_AS(data::load_csv(single, "y"), std::invalid_argument);
  CHECK_THROWS_WITH(data::load_csv(single, "y"),
                    Contains("load_csv: " + single +
                             " has no feature column, only the target column 'y' (index 0)"));
  const std::string big = write_file("too_big.csv", "a,b\n1,2\n3,1e39\n");
  CHECK_THROWS_AS(data::load_csv(big, "a"), std::invalid_argument);
  CHECK_THROWS_WITH(data::load_csv(big, "a"),
                    Contains(big + ":3: column 'b' (index 1): 1e+39 does not fit in float32"));
  const auto [x, y] = data::load_csv(big, "a", float64);
  CHECK(x.data<double>()(1, 0) == 1e39);
}

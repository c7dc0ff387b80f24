// Shared by the examples: CSV output and gnuplot.
#include "common/plot.hpp"

#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <stdexcept>

namespace xgrad::examples {

void write_csv(const std::filesystem::path& path, const std::vector<std::string>& header,
               const std::vector<std::vector<double>>& columns) {
  if (header.size() != columns.size()) {
    throw std::runtime_error("write_csv: " + std::to_string(header.size()) + " names for " +
                             std::to_string(columns.size()) + " columns");
  }
  const std::size_t rows = columns.empty() ? 0 : columns[0].size();
  for (const auto& column : columns) {
    if (column.size() != rows) throw std::runtime_error("write_csv: columns differ in length");
  }
  std::ofstream out(path);
  if (!out) throw std::runtime_error("write_csv: cannot write " + path.string());
  for (std::size_t c = 0; c < header.size(); ++c) out << (c ? "," : "") << header[c];
  out << '\n' << std::setprecision(9);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < columns.size(); ++c) out << (c ? "," : "") << columns[c][r];
    out << '\n';
  }
  if (!out) throw std::runtime_error("write_csv: error while writing " + path.string());
}

bool gnuplot_available() {
  return std::system("command -v gnuplot >/dev/null 2>&1") == 0;
}

void report_pictures(const std::filesystem::path& dir, const std::string& pictures) {
  std::cout << "\nPictures in " << dir.string() << "/: " << pictures
            << (gnuplot_available() ? "" : " (not drawn: no gnuplot)")
            << "; their data as .csv and gnuplot scripts as .gp\n";
}

bool plot(const std::filesystem::path& script_path, const std::string& script) {
  {
    std::ofstream out(script_path);
    if (!out) throw std::runtime_error("plot: cannot write " + script_path.string());
    out << script;
  }
  static const bool available = gnuplot_available();
  if (!available) {
    static bool said = false;
    if (!said) {
      std::cout << "gnuplot is not installed: plots skipped (the plotted data is written as CSV; "
                   "install gnuplot and run the .gp scripts to draw them)\n";
      said = true;
    }
    return false;
  }
  // gnuplot chats on stderr ("19 frames in animation sequence"): keep it in a log file and show
  // it only when gnuplot fails.
  const std::filesystem::path folder = script_path.parent_path();
  const std::filesystem::path log = script_path.string() + ".log";
  const std::string command = "cd '" + (folder.empty() ? std::string(".") : folder.string()) +
                              "' && gnuplot '" + script_path.filename().string() + "' 2> '" +
                              log.filename().string() + "'";
  const int status = std::system(command.c_str());
  std::ifstream messages(log);
  const std::string text((std::istreambuf_iterator<char>(messages)),
                         std::istreambuf_iterator<char>());
  messages.close();
  std::filesystem::remove(log);
  if (status != 0) {
    throw std::runtime_error("plot: gnuplot failed on " + script_path.string() + ":\n" + text);
  }
  return true;
}

std::string png_terminal(int width, int height) {
  return "set terminal pngcairo size " + std::to_string(width) + "," + std::to_string(height) +
         " enhanced font 'DejaVu Sans,11'\n";
}

}  // namespace xgrad::examples

// Shared by the examples: writing plotted data as CSV and drawing it with gnuplot when installed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace xgrad::examples {

/// Writes equal-length columns under a header row. Throws std::runtime_error if the file cannot be
/// written or the columns differ in length.
void write_csv(const std::filesystem::path& path, const std::vector<std::string>& header,
               const std::vector<std::vector<double>>& columns);

/// True when a gnuplot executable is on the PATH.
bool gnuplot_available();

/// Prints where the pictures went: "Pictures in <dir>/: <pictures>", saying when they could not be
/// drawn (no gnuplot) and that their data and scripts sit beside them.
void report_pictures(const std::filesystem::path& dir, const std::string& pictures);

/// Saves `script` next to the pictures (as script_path) and runs gnuplot on it from the script's
/// folder, so the script can name data files relatively and be re-run by hand. Without gnuplot,
/// says once that plots are skipped (the CSV data is still there) and returns false. Throws
/// std::runtime_error when gnuplot fails.
bool plot(const std::filesystem::path& script_path, const std::string& script);

/// The terminal line every picture uses: PNG through Cairo, with a readable font.
std::string png_terminal(int width, int height);

}  // namespace xgrad::examples

// Shared by the examples: formatting.
#include "common/format.hpp"

#include <cstdio>
#include <sstream>

namespace xgrad::examples {

std::vector<double> values(const Tensor& t) {
  const Tensor d = t.detach().to(float64);
  const auto& v = d.data<double>();
  return std::vector<double>(v.begin(), v.end());
}

std::string grouped(std::size_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  const std::string out = buffer;
  return out.find_first_not_of("-0.") == std::string::npos && out[0] == '-' ? out.substr(1) : out;
}

std::string general(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace xgrad::examples

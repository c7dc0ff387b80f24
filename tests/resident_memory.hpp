// The resident set size, for the tests that check memory stays flat over long runs, and whether it
// measures anything in this build.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <fstream>

namespace xgrad::testing {

/// Resident set size of this process in bytes, from /proc/self/statm.
inline std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

/// False under AddressSanitizer, whose quarantine keeps freed memory resident on purpose (about
/// 256 MiB), so the resident size grows while nothing leaks; LeakSanitizer checks that build for
/// leaks instead.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool resident_size_is_meaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool resident_size_is_meaningful = false;
#else
inline constexpr bool resident_size_is_meaningful = true;
#endif
#else
inline constexpr bool resident_size_is_meaningful = true;
#endif

}  // namespace xgrad::testing

#include "common/clock.h"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace ldgs {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t NextVersion(uint64_t last_issued, int64_t now_micros) {
  uint64_t now = now_micros > 0 ? static_cast<uint64_t>(now_micros) : 0;
  // Saturates: a clock pushed to the end (it never is by an honest peer; see
  // restore_recovery.cc) must not wrap back to small versions.
  const uint64_t next = last_issued == UINT64_MAX ? UINT64_MAX : last_issued + 1;
  return std::max(next, now);
}

std::string FormatUtc(int64_t micros, const char* format) {
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  return std::string(buffer, std::strftime(buffer, sizeof(buffer), format, &tm));
}

}  // namespace ldgs

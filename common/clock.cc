#include "common/clock.h"

#include <algorithm>
#include <chrono>

namespace ldgs {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t NextVersion(uint64_t last_issued, int64_t now_micros) {
  uint64_t now = now_micros > 0 ? static_cast<uint64_t>(now_micros) : 0;
  return std::max(last_issued + 1, now);
}

}  // namespace ldgs

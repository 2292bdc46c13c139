#pragma once

#include <cstdint>
#include <string>

namespace ldgs {

// Microseconds since the Unix epoch, from the system (wall) clock.
int64_t NowMicros();

// The next version an origin issues: max(last issued + 1, now). Strictly increasing, and
// following the wall clock so that a node restored from an old backup still moves past
// what it issued before the backup.
uint64_t NextVersion(uint64_t last_issued, int64_t now_micros);

// `micros` since the epoch as UTC text in strftime's `format`, e.g. "%Y-%m".
std::string FormatUtc(int64_t micros, const char* format);

}  // namespace ldgs

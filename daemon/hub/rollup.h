#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ldgs/v1/record.pb.h"

// Metric rollups: pure and deterministic (time is passed in), no storage or gRPC.
namespace ldgs::daemon::hub {

// What a hub publishes, and when ([hub] of the config; docs/decisions.md).
struct RollupSettings {
  uint32_t min_reporting = 3;  // fewer chapters in a figure: withheld (3 is the floor)
  double suppress_below = 11;  // sums in (0, suppress_below) are withheld as small counts
  // A period is first published once every member reported, or this long after the later
  // of its end and the hub's first report for it.
  int64_t publish_delay_us = 72LL * 3600 * 1000000;
};

// One chapter's value of a metric for a period.
struct ChapterValue {
  double value = 0;
  int64_t updated_us = 0;  // for the "latest" rule
  bool at_target = false;
};

// Exact statistics over a set of chapter values, before any suppression.
struct RawStats {
  uint32_t count = 0;
  double value = 0;  // the metric's rule across chapters
  double sum = 0, mean = 0, min = 0, max = 0, median = 0, q1 = 0, q3 = 0;
  uint32_t at_target = 0;
};

// Quantile by linear interpolation between closest ranks (R's type 7). `sorted` non-empty.
double Quantile(const std::vector<double>& sorted, double q);

// Quantile by nearest rank (R's type 1): always one of the values, never a mix of two that
// the chapter holding one of them could undo to learn its neighbour's. `sorted` non-empty.
double NearestRankQuantile(const std::vector<double>& sorted, double q);

// Statistics of `values` under `aggregation` (sum, mean, latest: the most recently updated
// chapter's value, max). Empty input gives count 0 and zeros.
RawStats ComputeRawStats(const std::vector<ChapterValue>& values, v1::Aggregation aggregation);

// Whether `value` meets `definition`'s target (direction-aware); false without a target.
bool MeetsTarget(const v1::MetricDefinition& definition, double value);

// The period before `period` ("2026-01" -> "2025-12", "2026-W01" -> "2025-W52" or W53).
std::string PreviousPeriod(const std::string& period);
std::string NextPeriod(const std::string& period);

// When `period` ends: the first microsecond of the next month or ISO week, UTC.
int64_t PeriodEndMicros(const std::string& period);

}  // namespace ldgs::daemon::hub

#include "daemon/hub/rollup.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ldgs::daemon::hub {
namespace {

bool IsSmallCount(double value, const RollupSettings& settings) {
  return value > 0 && value < settings.suppress_below;
}

// ISO 8601: a year has 53 weeks when it starts on a Thursday, or ends on one.
int IsoWeeksInYear(int year) {
  auto p = [](int y) { return (y + y / 4 - y / 100 + y / 400) % 7; };
  return (p(year) == 4 || p(year - 1) == 3) ? 53 : 52;
}

}  // namespace

double Quantile(const std::vector<double>& sorted, double q) {
  const double position = q * static_cast<double>(sorted.size() - 1);
  const size_t lower = static_cast<size_t>(std::floor(position));
  const size_t upper = std::min(lower + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(lower);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction;
}

RawStats ComputeRawStats(const std::vector<ChapterValue>& values, v1::Aggregation aggregation) {
  RawStats stats;
  stats.count = static_cast<uint32_t>(values.size());
  if (values.empty()) return stats;
  std::vector<double> sorted;
  sorted.reserve(values.size());
  const ChapterValue* latest = &values.front();
  for (const ChapterValue& v : values) {
    sorted.push_back(v.value);
    stats.sum += v.value;
    if (v.at_target) ++stats.at_target;
    if (v.updated_us > latest->updated_us) latest = &v;
  }
  std::sort(sorted.begin(), sorted.end());
  stats.mean = stats.sum / static_cast<double>(values.size());
  stats.min = sorted.front();
  stats.max = sorted.back();
  stats.median = Quantile(sorted, 0.5);
  stats.q1 = Quantile(sorted, 0.25);
  stats.q3 = Quantile(sorted, 0.75);
  switch (aggregation) {
    case v1::AGGREGATION_MEAN:
      stats.value = stats.mean;
      break;
    case v1::AGGREGATION_LATEST:
      stats.value = latest->value;
      break;
    case v1::AGGREGATION_MAX:
      stats.value = stats.max;
      break;
    default:  // sum, and definitions that did not say
      stats.value = stats.sum;
  }
  return stats;
}

bool MeetsTarget(const v1::MetricDefinition& definition, double value) {
  if (!definition.has_target()) return false;
  return definition.direction() == v1::DIRECTION_UP_IS_GOOD ? value >= definition.target()
                                                            : value <= definition.target();
}

v1::Rollup MakeRollup(const v1::MetricDefinition& definition, const std::string& period,
                      const std::string& scope, const RawStats& stats, uint32_t expected,
                      const std::string& previous_period, const std::optional<RawStats>& previous,
                      const RollupSettings& settings, int64_t now_us) {
  v1::Rollup r;
  r.set_metric(definition.code());
  r.set_period(period);
  r.set_scope(scope);
  r.set_reporting(stats.count);
  r.set_expected(expected);
  r.set_completeness(expected == 0 ? 0
                                   : std::min(1.0, stats.count / static_cast<double>(expected)));
  r.set_aggregation(definition.aggregation());
  r.set_at_target(stats.at_target);
  r.set_previous_period(previous_period);
  r.set_below_min_reporting(stats.count < settings.min_reporting);
  r.set_computed_us(now_us);
  if (stats.count == 0) return r;

  // Each value is either written or named as withheld; never both, never neither.
  auto put = [&](const char* name, double value, auto setter) {
    if (IsSmallCount(value, settings)) {
      r.add_suppressed(name);
    } else {
      (r.*setter)(value);
    }
  };
  put("value", stats.value, &v1::Rollup::set_value);
  put("sum", stats.sum, &v1::Rollup::set_sum);
  put("mean", stats.mean, &v1::Rollup::set_mean);
  put("min", stats.min, &v1::Rollup::set_min);
  put("max", stats.max, &v1::Rollup::set_max);
  put("median", stats.median, &v1::Rollup::set_median);
  put("q1", stats.q1, &v1::Rollup::set_q1);
  put("q3", stats.q3, &v1::Rollup::set_q3);
  if (previous && previous->count > 0) {
    // A difference with a withheld side would give the withheld value away.
    if (IsSmallCount(stats.value, settings) || IsSmallCount(previous->value, settings)) {
      r.add_suppressed("change");
    } else {
      r.set_change(stats.value - previous->value);
    }
  }
  return r;
}

std::string NextPeriod(const std::string& period) {
  char buffer[32];
  const int year = std::atoi(period.substr(0, 4).c_str());
  if (period.size() == 7) {
    const int month = std::atoi(period.substr(5, 2).c_str());
    std::snprintf(buffer, sizeof(buffer), "%04d-%02d", month == 12 ? year + 1 : year,
                  month == 12 ? 1 : month + 1);
    return buffer;
  }
  const int week = std::atoi(period.substr(6, 2).c_str());
  const bool last = week >= IsoWeeksInYear(year);
  std::snprintf(buffer, sizeof(buffer), "%04d-W%02d", last ? year + 1 : year, last ? 1 : week + 1);
  return buffer;
}

std::string PreviousPeriod(const std::string& period) {
  char buffer[32];
  const int year = std::atoi(period.substr(0, 4).c_str());
  if (period.size() == 7) {  // YYYY-MM
    int month = std::atoi(period.substr(5, 2).c_str());
    const int y = month == 1 ? year - 1 : year;
    month = month == 1 ? 12 : month - 1;
    std::snprintf(buffer, sizeof(buffer), "%04d-%02d", y, month);
    return buffer;
  }
  int week = std::atoi(period.substr(6, 2).c_str());  // YYYY-Www
  const int y = week == 1 ? year - 1 : year;
  week = week == 1 ? IsoWeeksInYear(year - 1) : week - 1;
  std::snprintf(buffer, sizeof(buffer), "%04d-W%02d", y, week);
  return buffer;
}

}  // namespace ldgs::daemon::hub

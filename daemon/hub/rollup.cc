#include "daemon/hub/rollup.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ldgs::daemon::hub {
namespace {

// Days from 1970-01-01 to the civil date (proleptic Gregorian; H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
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

double NearestRankQuantile(const std::vector<double>& sorted, double q) {
  const double rank = std::ceil(q * static_cast<double>(sorted.size()));
  const size_t index = rank < 1 ? 0 : std::min(sorted.size(), static_cast<size_t>(rank)) - 1;
  return sorted[index];
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

int64_t PeriodEndMicros(const std::string& period) {
  constexpr int64_t kDay = 86400LL * 1000000;
  const std::string next = NextPeriod(period);
  const int year = std::atoi(next.substr(0, 4).c_str());
  if (next.size() == 7) {
    return DaysFromCivil(year, static_cast<unsigned>(std::atoi(next.substr(5, 2).c_str())), 1) *
           kDay;
  }
  // ISO week 1 holds January 4th; weeks start on Monday.
  const int week = std::atoi(next.substr(6, 2).c_str());
  const int64_t jan4 = DaysFromCivil(year, 1, 4);
  const int64_t weekday = ((jan4 + 3) % 7 + 7) % 7;  // 0 = Monday (1970-01-01 was a Thursday)
  return (jan4 - weekday + 7 * (week - 1)) * kDay;
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

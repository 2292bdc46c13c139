#include "daemon/hub/rollup.h"

#include <algorithm>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ldgs::daemon::hub {
namespace {

// Straight from the definitions, with no cleverness: the reference for the property test.
double BruteQuantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double h = (v.size() - 1) * q;
  const double lo = v[static_cast<size_t>(h)];
  const double hi = v[std::min(v.size() - 1, static_cast<size_t>(h) + 1)];
  return lo + (h - static_cast<size_t>(h)) * (hi - lo);
}

TEST(RollupTest, StatisticsMatchABruteForceRecomputationOnRandomData) {
  std::mt19937 random(20261124);
  for (int round = 0; round < 500; ++round) {
    const int n = 1 + static_cast<int>(random() % 40);
    std::vector<ChapterValue> values;
    for (int i = 0; i < n; ++i) {
      values.push_back(
          {static_cast<double>(random() % 2000), static_cast<int64_t>(random() % 1000), false});
    }
    std::vector<double> plain;
    double sum = 0;
    for (const ChapterValue& v : values) {
      plain.push_back(v.value);
      sum += v.value;
    }
    const auto latest = std::max_element(
        values.begin(), values.end(), [](auto& a, auto& b) { return a.updated_us < b.updated_us; });
    for (v1::Aggregation rule :
         {v1::AGGREGATION_SUM, v1::AGGREGATION_MEAN, v1::AGGREGATION_LATEST, v1::AGGREGATION_MAX}) {
      RawStats s = ComputeRawStats(values, rule);
      ASSERT_EQ(s.count, static_cast<uint32_t>(n));
      EXPECT_DOUBLE_EQ(s.sum, sum);
      EXPECT_DOUBLE_EQ(s.mean, sum / n);
      EXPECT_DOUBLE_EQ(s.min, *std::min_element(plain.begin(), plain.end()));
      EXPECT_DOUBLE_EQ(s.max, *std::max_element(plain.begin(), plain.end()));
      EXPECT_DOUBLE_EQ(s.median, BruteQuantile(plain, 0.5));
      EXPECT_DOUBLE_EQ(s.q1, BruteQuantile(plain, 0.25));
      EXPECT_DOUBLE_EQ(s.q3, BruteQuantile(plain, 0.75));
      const double expected = rule == v1::AGGREGATION_MEAN     ? sum / n
                              : rule == v1::AGGREGATION_LATEST ? latest->value
                              : rule == v1::AGGREGATION_MAX    ? s.max
                                                               : sum;
      EXPECT_DOUBLE_EQ(s.value, expected);
    }
  }
}

TEST(RollupTest, PeriodsStepAcrossYearsAndIsoWeeks) {
  EXPECT_EQ(PreviousPeriod("2026-01"), "2025-12");
  EXPECT_EQ(PreviousPeriod("2026-07"), "2026-06");
  EXPECT_EQ(NextPeriod("2026-12"), "2027-01");
  EXPECT_EQ(PreviousPeriod("2026-W01"), "2025-W52");
  EXPECT_EQ(PreviousPeriod("2021-W01"), "2020-W53");  // 2020 had 53 ISO weeks
  EXPECT_EQ(NextPeriod("2020-W53"), "2021-W01");
  EXPECT_EQ(NextPeriod("2026-W52"), "2026-W53");  // 2026 has 53 (starts on a Thursday)
  EXPECT_EQ(NextPeriod("2026-W53"), "2027-W01");
}

TEST(RollupTest, NearestRankQuantilesAreAlwaysOneOfTheValues) {
  // Hand-computed: rank ceil(q*n), 1-based.
  const std::vector<double> six = {10, 20, 30, 40, 50, 60};
  EXPECT_EQ(NearestRankQuantile(six, 0.25), 20);  // ceil(1.5) = 2
  EXPECT_EQ(NearestRankQuantile(six, 0.5), 30);   // ceil(3) = 3
  EXPECT_EQ(NearestRankQuantile(six, 0.75), 50);  // ceil(4.5) = 5
  const std::vector<double> seven = {1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(NearestRankQuantile(seven, 0.5), 4);
  EXPECT_EQ(NearestRankQuantile(seven, 0.25), 2);
  EXPECT_EQ(NearestRankQuantile({5}, 0.5), 5);
}

TEST(RollupTest, PeriodsEndAtTheStartOfTheNextMonthOrIsoWeekUtc) {
  // Hand-computed with date -u -d ... +%s.
  EXPECT_EQ(PeriodEndMicros("2026-03"), 1775001600LL * 1000000);   // 2026-04-01
  EXPECT_EQ(PeriodEndMicros("2026-12"), 1798761600LL * 1000000);   // 2027-01-01
  EXPECT_EQ(PeriodEndMicros("2024-02"), 1709251200LL * 1000000);   // 2024-03-01 (leap year)
  EXPECT_EQ(PeriodEndMicros("2026-W01"), 1767571200LL * 1000000);  // Monday 2026-01-05
  EXPECT_EQ(PeriodEndMicros("2020-W53"), 1609718400LL * 1000000);  // Monday 2021-01-04
  EXPECT_EQ(PeriodEndMicros("2026-W53"), 1798761600LL * 1000000 + 3 * 86400LL * 1000000);
}

}  // namespace
}  // namespace ldgs::daemon::hub

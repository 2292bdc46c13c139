#include "daemon/hub/rollup.h"

#include <algorithm>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ldgs::daemon::hub {
namespace {

using ::testing::Contains;

v1::MetricDefinition Definition(v1::Aggregation aggregation) {
  v1::MetricDefinition d;
  d.set_code("actively_homeless");
  d.set_aggregation(aggregation);
  d.set_direction(v1::DIRECTION_DOWN_IS_GOOD);
  d.set_target(0);
  return d;
}

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

TEST(RollupTest, NoPublishedValueIsASmallCount) {
  std::mt19937 random(7);
  RollupSettings settings;  // suppress below 11, publish from 3 chapters
  for (int round = 0; round < 500; ++round) {
    std::vector<ChapterValue> values;
    for (int i = 0, n = 1 + random() % 8; i < n; ++i) {
      values.push_back({static_cast<double>(random() % 30), 0, false});
    }
    RawStats now = ComputeRawStats(values, v1::AGGREGATION_SUM);
    RawStats before =
        ComputeRawStats({{static_cast<double>(random() % 30), 0, false}}, v1::AGGREGATION_SUM);
    v1::Rollup r = MakeRollup(Definition(v1::AGGREGATION_SUM), "2026-04", "network", now, 10,
                              "2026-03", before, settings, 1);
    for (auto [name, present, value] :
         std::vector<std::tuple<std::string, bool, double>>{{"value", r.has_value(), r.value()},
                                                            {"sum", r.has_sum(), r.sum()},
                                                            {"mean", r.has_mean(), r.mean()},
                                                            {"min", r.has_min(), r.min()},
                                                            {"max", r.has_max(), r.max()},
                                                            {"median", r.has_median(), r.median()},
                                                            {"q1", r.has_q1(), r.q1()},
                                                            {"q3", r.has_q3(), r.q3()}}) {
      const bool small = [&] {
        return std::find(r.suppressed().begin(), r.suppressed().end(), name) !=
               r.suppressed().end();
      }();
      EXPECT_NE(present, small) << name << " must be written or withheld, not both or neither";
      if (present) {
        EXPECT_FALSE(value > 0 && value < 11) << name << " = " << value;
      }
    }
    EXPECT_EQ(r.below_min_reporting(), values.size() < 3);
    if (r.has_change()) {
      EXPECT_TRUE(r.has_value());
      EXPECT_FALSE(before.value > 0 && before.value < 11);
    }
  }
}

TEST(RollupTest, ZeroIsShownAndTargetsAreCounted) {
  v1::MetricDefinition d = Definition(v1::AGGREGATION_SUM);
  std::vector<ChapterValue> values = {
      {0, 0, MeetsTarget(d, 0)}, {12, 0, MeetsTarget(d, 12)}, {0, 0, MeetsTarget(d, 0)}};
  v1::Rollup r = MakeRollup(d, "2026-04", "network", ComputeRawStats(values, d.aggregation()), 4,
                            "2026-03", std::nullopt, RollupSettings(), 1);
  EXPECT_TRUE(r.has_min());
  EXPECT_EQ(r.min(), 0);
  EXPECT_EQ(r.at_target(), 2u);
  EXPECT_EQ(r.reporting(), 3u);
  EXPECT_DOUBLE_EQ(r.completeness(), 0.75);
  EXPECT_FALSE(r.has_change());
  // The mean (4) and upper quartile (6) are small counts; the zeros and the sum are not.
  EXPECT_THAT(r.suppressed(), ::testing::UnorderedElementsAre("mean", "q3"));
  EXPECT_EQ(r.sum(), 12);
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

}  // namespace
}  // namespace ldgs::daemon::hub

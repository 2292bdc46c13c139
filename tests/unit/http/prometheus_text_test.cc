#include "daemon/http/prometheus_text.h"

#include <limits>

#include "gtest/gtest.h"

namespace ldgs::daemon::http {
namespace {

TEST(PrometheusTextTest, WritesHelpTypeAndSamplesWithEscapedLabels) {
  PrometheusText out;
  out.Family("ldgs_things", "gauge", "Things, by name.\nSecond line \\ here.");
  out.Sample({{"name", "a \"quoted\" back\\slash\nnewline"}, {"kind", "x"}}, 3);
  out.Sample(0.25);
  out.Family("ldgs_events_total", "counter", "Events.");
  out.Sample({}, 12345678901234.0);
  EXPECT_EQ(out.text(),
            "# HELP ldgs_things Things, by name.\\nSecond line \\\\ here.\n"
            "# TYPE ldgs_things gauge\n"
            "ldgs_things{name=\"a \\\"quoted\\\" back\\\\slash\\nnewline\",kind=\"x\"} 3\n"
            "ldgs_things 0.25\n"
            "# HELP ldgs_events_total Events.\n"
            "# TYPE ldgs_events_total counter\n"
            "ldgs_events_total 12345678901234\n");
}

TEST(PrometheusTextTest, WritesSpecialValuesAsTheFormatSpellsThem) {
  PrometheusText out;
  out.Family("m", "gauge", "h");
  out.Sample(std::numeric_limits<double>::infinity());
  out.Sample(-std::numeric_limits<double>::infinity());
  out.Sample(std::numeric_limits<double>::quiet_NaN());
  out.Sample(-2);
  EXPECT_EQ(out.text(), "# HELP m h\n# TYPE m gauge\nm +Inf\nm -Inf\nm NaN\nm -2\n");
}

}  // namespace
}  // namespace ldgs::daemon::http

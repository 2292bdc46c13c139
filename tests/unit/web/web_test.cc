#include <string>
#include <vector>

#include "daemon/web/chart_svg.h"
#include "daemon/web/html.h"
#include "daemon/web/open_data.h"
#include "daemon/web/pages.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// The web library on hand-made protos, with every expectation worked out by hand.
namespace ldgs::daemon::web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// Each <circle class="pt" ...> element of a chart, up to its closing tag.
std::vector<std::string> Points(const std::string& svg) {
  std::vector<std::string> points;
  for (size_t at = svg.find("<circle class=\"pt\""); at != std::string::npos;
       at = svg.find("<circle class=\"pt\"", at + 1)) {
    points.push_back(svg.substr(at, svg.find("</circle>", at) - at));
  }
  return points;
}

v1::Rollup Cell(const std::string& period, const std::string& scope, double value) {
  v1::Rollup r;
  r.set_metric("actively_homeless");
  r.set_period(period);
  r.set_scope(scope);
  r.set_reporting(3);
  r.set_expected(4);
  r.set_completeness(0.75);
  r.set_value(value);
  r.set_mean(value / 3);
  return r;
}

v1::Rollup Withheld(const std::string& period, const std::string& scope) {
  v1::Rollup r;
  r.set_metric("actively_homeless");
  r.set_period(period);
  r.set_scope(scope);
  r.set_expected(2);
  r.set_withheld(true);
  r.set_withheld_reason("fewer than 3 chapters reporting");
  return r;
}

v1::MetricReport Metric() {
  v1::MetricReport m;
  m.mutable_definition()->set_code("actively_homeless");
  m.mutable_definition()->set_name("Actively homeless");
  m.mutable_definition()->set_unit("people");
  *m.add_network() = Cell("2026-01", "network", 10);
  *m.add_network() = Withheld("2026-02", "network");
  *m.add_network() = Cell("2026-03", "network", 20);
  v1::RegionSeries* north = m.add_regions();
  north->set_region("North");
  v1::Rollup suppressed = Cell("2026-03", "region:North", 0);
  suppressed.clear_value();
  suppressed.add_suppressed("value");
  *north->add_rollups() = suppressed;
  return m;
}

TEST(EscapeTest, EscapesMarkupAndShowsControlCharacters) {
  EXPECT_EQ(Escape("<script>"), "&lt;script&gt;");
  EXPECT_EQ(Escape("\"'&"), "&quot;&#39;&amp;");
  EXPECT_EQ(Escape("a\x1b[0m\nb\tc"), "a\\u001b[0m\nb\\u0009c");
  EXPECT_EQ(Escape("x\xc2\x9by"), "x\\u009by");  // C1 CSI as UTF-8
  EXPECT_EQ(Escape("caf\xc3\xa9"), "caf\xc3\xa9");
}

TEST(EscapeTest, UrlEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(UrlEncode("a b&c=d/\xc3\xa9~_.-"), "a%20b%26c%3Dd%2F%C3%A9~_.-");
}

TEST(PageTest, PublicAndOperatorFrames) {
  const std::string page =
      Page({"Practices", "North <hub>", false, false, "practices"}, "<p>x</p>");
  EXPECT_THAT(page,
              HasSubstr("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"));
  EXPECT_THAT(page, HasSubstr("<body class=\"view-public\">"));
  EXPECT_THAT(page, HasSubstr("<title>Practices \u00b7 North &lt;hub&gt;</title>"));
  EXPECT_THAT(page, HasSubstr("<a href=\"/practices\" aria-current=\"page\">Practices</a>"));
  EXPECT_THAT(page, HasSubstr("<a href=\"/login\">Log in</a>"));
  EXPECT_THAT(page, HasSubstr("Public view"));
  EXPECT_THAT(page, Not(HasSubstr("/operator")));
  EXPECT_THAT(page, Not(HasSubstr("<script")));

  const std::string op = Page({"Sync health", "North", true, false, "operator"}, "");
  EXPECT_THAT(op, HasSubstr("<body class=\"view-operator\">"));
  EXPECT_THAT(op, HasSubstr("<form class=\"logout\" method=\"post\" action=\"/logout\">"));
  EXPECT_THAT(op, HasSubstr("Operator view: includes hub-only data"));
  EXPECT_THAT(op, Not(HasSubstr("/login")));
}

TEST(OpenDataTest, RecordsCsvQuotesAndGuardsFormulas) {
  v1::Record r;
  r.set_origin("node1");
  r.set_id("p1");
  r.set_version(7);
  r.set_visibility(v1::VISIBILITY_PUBLIC);
  v1::Practice* p = r.mutable_practice();
  p->set_title("Tea, \"hot\"");
  p->set_summary("=SUM(A1)");
  p->add_issue_areas("housing");
  p->add_issue_areas("youth");
  p->add_tags("-x");
  p->set_outcome(v1::OUTCOME_WORKED);
  v1::Record hidden = r;
  hidden.set_visibility(v1::VISIBILITY_NETWORK);

  EXPECT_EQ(RecordsCsv({r, hidden}),
            "origin,id,kind,version,updated,title,summary_or_body,issue_areas,communities,"
            "strategies,tags,adapted_from,adopted_period,outcome\r\n"
            "node1,p1,practice,7,1970-01-01T00:00:00Z,\"Tea, \"\"hot\"\"\",'=SUM(A1),"
            "housing;youth,,,'-x,,,worked\r\n");
}

TEST(OpenDataTest, RollupsCsvLeavesWithheldAndSuppressedFiguresEmpty) {
  v1::Rollup published = Cell("2026-01", "network", 12);
  published.set_mean(4);
  published.set_change(-2);
  published.add_suppressed("at_target");
  EXPECT_EQ(RollupsCsv({published, Withheld("2026-01", "region:North")}, "hub1"),
            "hub,metric,period,scope,reporting,expected,completeness,value,mean,change,"
            "at_target,withheld,suppressed\r\n"
            "hub1,actively_homeless,2026-01,network,3,4,0.75,12,4,-2,,false,at_target\r\n"
            "hub1,actively_homeless,2026-01,region:North,,2,,,,,,true,\r\n");
}

TEST(OpenDataTest, RollupsJsonOmitsWhatIsNotPublished) {
  const std::string json = RollupsJson({Withheld("2026-01", "network")}, "hub1");
  EXPECT_THAT(json, HasSubstr("\"withheld\":true"));
  EXPECT_THAT(json, HasSubstr("\"expected\":2"));
  EXPECT_THAT(json, Not(HasSubstr("\"value\"")));
  EXPECT_THAT(json, Not(HasSubstr("\"reporting\"")));
}

TEST(ChartTest, PlotsPublishedValuesOnlyAndMarksTheGaps) {
  const std::string svg = MetricChart(Metric());
  const std::vector<std::string> points = Points(svg);
  ASSERT_EQ(points.size(), 2u);  // 2026-01 and 2026-03 of the network
  EXPECT_THAT(points[0],
              HasSubstr("data-period=\"2026-01\" data-scope=\"network\" data-value=\"10\""));
  EXPECT_THAT(points[1],
              HasSubstr("data-period=\"2026-03\" data-scope=\"network\" data-value=\"20\""));
  for (const std::string& p : points) EXPECT_THAT(p, Not(HasSubstr("2026-02")));
  EXPECT_THAT(svg, HasSubstr("<title>withheld: fewer than 3 chapters reporting</title>"));
  EXPECT_THAT(svg, HasSubstr("<title>suppressed</title>"));
  // Values up to 20: ticks every 5 from 0.
  EXPECT_THAT(svg, HasSubstr(">0</text>"));
  EXPECT_THAT(svg, HasSubstr(">20</text>"));
  EXPECT_EQ(Count(svg, "class=\"tick\""), 5u);
  EXPECT_THAT(svg, HasSubstr(">people</text>"));
  EXPECT_THAT(svg, HasSubstr("role=\"img\""));
  EXPECT_THAT(svg, HasSubstr("data-metric=\"actively_homeless\""));
  // The network's line breaks at the withheld month: two moves, no line across it.
  EXPECT_EQ(Count(svg, "d=\"M"), 1u);
  EXPECT_THAT(svg, HasSubstr(" M"));
  EXPECT_THAT(svg, Not(HasSubstr(" L")));
}

TEST(OverviewTest, WithheldCellsSayWhyAndShowNoFigure) {
  v1::NetworkReport report;
  report.set_hub_name("North hub");
  report.set_chapters(9);
  v1::MetricReport* m = report.add_metrics();
  *m = Metric();
  // A withheld latest cell that (wrongly) still carries figures: none may reach the page.
  v1::Rollup latest = Withheld("2026-04", "network");
  latest.set_value(98765);
  latest.set_mean(4321);
  *m->add_network() = latest;
  const std::string body = OverviewBody(report);
  EXPECT_THAT(body, HasSubstr("<td class=\"fig withheld\" data-field=\"value\" title=\"fewer "
                              "than 3 chapters reporting\">withheld</td>"));
  EXPECT_THAT(body, Not(HasSubstr("98765")));
  EXPECT_THAT(body, Not(HasSubstr("4321")));
  EXPECT_THAT(body, HasSubstr("<strong data-field=\"chapters\">9</strong>"));
}

TEST(OverviewTest, WhatsWorkingShowsSignedChangesAndEscapesTitles) {
  v1::NetworkReport report;
  v1::PracticeStanding* s = report.add_top_practices();
  s->mutable_practice()->set_origin("n 1");
  s->mutable_practice()->set_id("a&b");
  s->mutable_practice()->mutable_practice()->set_title("<b>Housing first</b>");
  s->set_adoptions(5);
  s->mutable_outcome()->set_adopters(4);
  s->mutable_outcome()->set_others(10);
  s->mutable_outcome()->set_adopters_change(0.125);
  s->mutable_outcome()->set_others_change(-0.03);
  v1::PracticeStanding* none = report.add_top_practices();
  none->mutable_practice()->mutable_practice()->set_title("New");
  const std::string body = OverviewBody(report);
  EXPECT_THAT(body, HasSubstr("<a href=\"/practice?origin=n%201&amp;id=a%26b\">"
                              "&lt;b&gt;Housing first&lt;/b&gt;</a>"));
  EXPECT_THAT(body, HasSubstr(">+12.5% vs -3.0% <span class=\"muted\">(n=4 vs 10)</span>"));
  EXPECT_THAT(body, HasSubstr("<td class=\"fig\" data-field=\"adoptions\">5</td>"));
  EXPECT_THAT(body, HasSubstr(">no figure yet</td>"));
}

TEST(CatalogueTest, FacetLinksCarryCountsAndToggleOneFilter) {
  v1::SearchCatalogueRequest asked;
  asked.set_query("tea");
  asked.add_issue_areas("housing");
  v1::SearchCatalogueResponse found;
  found.set_matches(10);
  v1::Facet* issues = found.add_facets();
  issues->set_name("issue_area");
  issues->add_values()->set_value("housing");
  issues->mutable_values(0)->set_count(7);
  issues->add_values()->set_value("youth");
  issues->mutable_values(1)->set_count(3);
  v1::Facet* regions = found.add_facets();
  regions->set_name("region");
  regions->add_values()->set_value("North");
  regions->mutable_values(0)->set_count(2);

  const std::string body = CatalogueBody(asked, found, "/practices");
  EXPECT_THAT(body, HasSubstr("<a href=\"/practices?q=tea&amp;issue_area=housing&amp;issue_area="
                              "youth\">youth <span class=\"count\" data-count=\"3\">(3)</span>"
                              "</a>"));
  // The active filter's link lifts it.
  EXPECT_THAT(body, HasSubstr("<a href=\"/practices?q=tea\" class=\"on\" aria-current=\"true\">"
                              "\u2713 housing <span class=\"count\" data-count=\"7\">(7)</span>"));
  EXPECT_THAT(body, HasSubstr("<a href=\"/practices?q=tea&amp;issue_area=housing&amp;region="
                              "North\">North <span class=\"count\" data-count=\"2\">(2)</span>"));
  EXPECT_THAT(body, HasSubstr("name=\"q\" value=\"tea\""));
  EXPECT_THAT(body, HasSubstr("10 matches"));
}

}  // namespace
}  // namespace ldgs::daemon::web

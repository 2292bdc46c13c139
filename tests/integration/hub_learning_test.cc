// The hub's shared learnings through real processes: rollups flowing down, suppression in
// every output path, corrections, a hub tree without double counting, catalogue and report.
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/federation.h"
#include "tests/support/node_process.h"
#include "tests/support/record_helpers.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::CommandResult;
using ::ldgs::testing::NodeProcess;
using ::ldgs::testing::RollupBecomes;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kDeadline = std::chrono::seconds(60);

// `text` with each run of spaces made one space (table columns are padded).
std::string OneSpace(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' || out.empty() || out.back() != ' ') out.push_back(c);
  }
  return out;
}

// Polls `node`'s status table until it shows `wanted` (spaces runs counting as one);
// returns the last one. (No std::regex: GCC 12 under ASan warns inside it.)
std::string StatusShows(const NodeProcess& node, const std::string& wanted) {
  std::string shown;
  for (auto deadline = std::chrono::steady_clock::now() + kDeadline;
       std::chrono::steady_clock::now() < deadline;) {
    shown = node.Ctl({"status"}).out;
    if (OneSpace(shown).find(wanted) != std::string::npos) return shown;
    v1::Record ignored;  // waits on the node's feed for up to 0.5 s: not a sleep
    node.Get(node.node_id(), "none", &ignored, 500).ok();
  }
  ADD_FAILURE() << "status never showed " << wanted << ":\n" << shown;
  return shown;
}

void Observe(const NodeProcess& chapter, const std::string& period, double value) {
  ldgs::testing::Observe(chapter, "actively_homeless", period, value);
}

class HubLearningTest : public ::testing::Test {
 protected:
  HubLearningTest() {
    for (const auto& [name, region] :
         std::vector<std::pair<std::string, std::string>>{{"Rockford", "midwest"},
                                                          {"Ames", "midwest"},
                                                          {"Peoria", "midwest"},
                                                          {"Tulsa", "south"}}) {
      chapters_.push_back(&fed_.AddChapter(name, region, &hub_));
    }
    EXPECT_TRUE(fed_.Start());
    CommandResult def =
        hub_.Ctl({"put", "metric", "--code", "actively_homeless", "--name", "Actively homeless",
                  "--direction", "down", "--target", "0", "--visibility", "network"});
    EXPECT_EQ(def.exit_code, 0) << def.err;
  }

  const NodeProcess& chapter(int i) const { return *chapters_[i]; }

  ldgs::testing::Federation fed_;
  NodeProcess& hub_ = fed_.AddHub("Midwest hub", "midwest");
  std::vector<NodeProcess*> chapters_;
};

TEST_F(HubLearningTest, RollupsFlowDownAndNoFigureRevealsAChaptersValue) {
  // March: 40, 50 and 6 in the midwest, 30 in the south (its only chapter).
  Observe(chapter(0), "2026-03", 40);
  Observe(chapter(1), "2026-03", 50);
  Observe(chapter(2), "2026-03", 6);
  Observe(chapter(3), "2026-03", 30);
  v1::Rollup network;
  ASSERT_TRUE(RollupBecomes(
      chapter(0), hub_.node_id(), "rollup:actively_homeless:2026-03:network",
      [](const v1::Rollup& r) { return r.reporting() == 4; }, &network));
  EXPECT_EQ(network.sum(), 126);
  EXPECT_EQ(network.expected(), 4u);
  // Four chapters are too few for quantiles (each would be about one chapter's value), and
  // "0 of 4 at target" would tell each chapter's status.
  EXPECT_FALSE(network.has_median());
  EXPECT_THAT(network.suppressed(), ::testing::Contains("median"));
  EXPECT_FALSE(network.has_at_target());
  EXPECT_THAT(network.suppressed(), ::testing::Contains("at_target"));

  // The south's one chapter is withheld, and so is the midwest: else the network minus the
  // midwest would be the south's value. Both records reach every chapter, with no figure.
  v1::Rollup south, midwest;
  ASSERT_TRUE(RollupBecomes(
      chapter(3), hub_.node_id(), "rollup:actively_homeless:2026-03:region:south",
      [](const v1::Rollup& r) { return r.withheld(); }, &south));
  EXPECT_EQ(south.withheld_reason(), "fewer than 3 chapters reporting");
  EXPECT_FALSE(south.has_sum());
  EXPECT_EQ(south.reporting(), 0u);
  ASSERT_TRUE(RollupBecomes(
      chapter(3), hub_.node_id(), "rollup:actively_homeless:2026-03:region:midwest",
      [](const v1::Rollup& r) { return r.withheld(); }, &midwest));
  EXPECT_THAT(midwest.withheld_reason(), HasSubstr("no figure gives a chapter's value away"));
  EXPECT_FALSE(midwest.has_sum());

  // CLI table and JSON on a chapter, and the report on the hub, say "withheld".
  ASSERT_TRUE(RollupBecomes(chapter(2), hub_.node_id(),
                            "rollup:actively_homeless:2026-03:region:midwest",
                            [](const v1::Rollup& r) { return r.withheld(); }));
  CommandResult table = chapter(2).Ctl({"compare", "actively_homeless"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("2026-03"));
  EXPECT_THAT(table.out, HasSubstr("withheld"));
  EXPECT_THAT(table.out, Not(HasSubstr("96")));
  CommandResult json = hub_.Ctl({"-o", "json", "report"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  nlohmann::json report = nlohmann::json::parse(json.out);
  const nlohmann::json& march = report["metrics"][0]["network"][0];
  EXPECT_EQ(march["value"], 126);
  EXPECT_FALSE(march.contains("median"));  // quantiles are never published
  EXPECT_EQ(report["metrics"][0]["regions"]["south"][0]["value"], "withheld");
  EXPECT_EQ(report["metrics"][0]["regions"]["midwest"][0]["value"], "withheld");
  EXPECT_EQ(report["chapters"], 4);
  CommandResult text = hub_.Ctl({"report"});
  EXPECT_THAT(text.out, HasSubstr("withheld"));
  CommandResult html = hub_.Ctl({"-o", "html", "report"});
  EXPECT_THAT(html.out, HasSubstr(">126<"));  // the network is there: the checks below bite
  // No figure cell or chart point holds a chapter's value (axis ticks may read 50).
  for (const char* value : {"6", "30", "96", "40", "50"}) {
    EXPECT_THAT(html.out, Not(HasSubstr(">" + std::string(value) + "</td>")));
    EXPECT_THAT(html.out, Not(HasSubstr("data-value=\"" + std::string(value) + "\"")));
  }
}

TEST_F(HubLearningTest, AFigureMovesOnlyWhenEnoughOfItsChaptersChanged) {
  Observe(chapter(0), "2026-04", 100);
  Observe(chapter(1), "2026-04", 200);
  Observe(chapter(2), "2026-04", 300);
  Observe(chapter(3), "2026-04", 50);
  const std::string id = "rollup:actively_homeless:2026-04:network";
  ASSERT_TRUE(
      RollupBecomes(hub_, hub_.node_id(), id, [](const v1::Rollup& r) { return r.sum() == 650; }));
  // One correction alone would publish a version that differs by one chapter's change: it
  // waits. May's figures, decided after it (the correction came first in that chapter's
  // feed), show that the hub has seen it.
  Observe(chapter(1), "2026-04", 150);
  for (int i = 0; i < 4; ++i) Observe(chapter(i), "2026-05", 90 + 50 * i);
  v1::Rollup may;
  ASSERT_TRUE(RollupBecomes(
      hub_, hub_.node_id(), "rollup:actively_homeless:2026-05:network",
      [](const v1::Rollup& r) { return r.reporting() == 4; }, &may));
  EXPECT_EQ(may.change(), (90 + 140 + 190 + 240) - 650);  // against April as published
  v1::Record april;
  ASSERT_TRUE(hub_.Get(hub_.node_id(), id, &april).ok());
  EXPECT_EQ(april.rollup().sum(), 650);
  EXPECT_EQ(april.rollup().revision(), 1u);
  // A second correction: two changed, still too few; a third: the figure moves by all three.
  Observe(chapter(0), "2026-04", 110);
  ASSERT_TRUE(chapter(0).Get(chapter(0).node_id(), "obs:actively_homeless:2026-04", &april).ok());
  ASSERT_TRUE(hub_.Get(chapter(0).node_id(), "obs:actively_homeless:2026-04", &april, 60000,
                       april.version())
                  .ok());
  ASSERT_TRUE(hub_.WaitAggregated());
  ASSERT_TRUE(hub_.Get(hub_.node_id(), id, &april).ok());
  EXPECT_EQ(april.rollup().revision(), 1u);
  EXPECT_EQ(april.rollup().sum(), 650);
  Observe(chapter(3), "2026-04", 60);
  v1::Rollup revised;
  ASSERT_TRUE(RollupBecomes(
      hub_, hub_.node_id(), id, [](const v1::Rollup& r) { return r.revision() == 2; }, &revised));
  EXPECT_EQ(revised.sum(), 110 + 150 + 300 + 60);
}

TEST_F(HubLearningTest, PracticesAreSearchedAdaptedAndRanked) {
  CommandResult put = chapter(0).Ctl(
      {"-o", "json", "put", "practice", "--title", "Landlord risk mitigation fund", "--strategy",
       "public-private-partnership", "--tag", "landlords", "--visibility", "network"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  const std::string id = nlohmann::json::parse(put.out)["id"];
  const std::string ref = chapter(0).node_id() + "/" + id;
  ASSERT_EQ(
      chapter(0)
          .Ctl({"put", "practice", "--title", "Youth drop-in outreach", "--visibility", "network"})
          .exit_code,
      0);
  for (int i = 1; i <= 2; ++i) {
    v1::Record arrived;
    ASSERT_TRUE(chapter(i).Get(chapter(0).node_id(), id, &arrived, 30000).ok());
    CommandResult adapt = chapter(i).Ctl({"-o", "json", "adapt", ref, "--visibility", "network"});
    ASSERT_EQ(adapt.exit_code, 0) << adapt.err;
    const std::string copy = nlohmann::json::parse(adapt.out)["id"];
    EXPECT_EQ(nlohmann::json::parse(adapt.out)["practice"]["adapted_from"]["id"], id);
    ASSERT_EQ(chapter(i)
                  .Ctl({"outcome", copy, i == 1 ? "worked" : "did-not-work-here", "--note",
                        "tight rental market"})
                  .exit_code,
              0);
  }
  v1::Record at_tulsa;
  ASSERT_TRUE(chapter(3).Get(chapter(0).node_id(), id, &at_tulsa, 30000).ok());
  CommandResult search = chapter(3).Ctl({"-o", "json", "practices", "search", "landlord fund"});
  ASSERT_EQ(search.exit_code, 0) << search.err;
  // Poll until the adaptations have reached the hub, then rank there.
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  nlohmann::json top;
  while (std::chrono::steady_clock::now() < deadline) {
    top = nlohmann::json::parse(hub_.Ctl({"-o", "json", "practices", "top"}).out);
    if (!top.empty() && top[0]["adoptions"] == 2) break;
    v1::Record ignored;  // waits on the hub's feed for up to 0.5 s: not a sleep
    hub_.Get(hub_.node_id(), "none", &ignored, 500).ok();
  }
  ASSERT_FALSE(top.empty());
  EXPECT_EQ(top[0]["id"], id);
  EXPECT_EQ(top[0]["adoptions"], 2);
  EXPECT_EQ(top[0]["worked"], 1);
  EXPECT_EQ(top[0]["did_not_work"], 1);
  nlohmann::json found = nlohmann::json::parse(search.out)["hits"];
  ASSERT_GE(found.size(), 1u);
  EXPECT_EQ(found[0]["record"]["practice"]["title"], "Landlord risk mitigation fund");
}

TEST(HubTreeRollupTest, TopHubCombinesRegionsWithoutDoubleCounting) {
  ldgs::testing::Federation fed;
  NodeProcess& top = fed.AddHub("National", "national");
  std::vector<NodeProcess*> chapters;
  NodeProcess* last_regional = nullptr;
  for (const std::string region : {"midwest", "south"}) {
    NodeProcess& regional = fed.AddHub(region + " hub", region, &top);
    last_regional = &regional;
    for (int i = 0; i < 3; ++i) {
      chapters.push_back(&fed.AddChapter(region + std::to_string(i), region, &regional));
    }
  }
  ASSERT_TRUE(fed.Start());
  // Defined at the top: the regional hubs aggregate it because it comes from their chain.
  CommandResult def = top.Ctl({"put", "metric", "--code", "housed", "--name", "Housed",
                               "--direction", "up", "--visibility", "network"});
  ASSERT_EQ(def.exit_code, 0) << def.err;
  double total = 0;
  int value = 20;
  for (NodeProcess* chapter : chapters) {
    {
      value += 10;
      total += value;
      // Network-visible on purpose: copies reach the top hub by relay, and must not count.
      v1::PutRecordRequest request;
      request.set_visibility(v1::VISIBILITY_NETWORK);
      request.mutable_body()->mutable_metric_observation()->set_metric("housed");
      request.mutable_body()->mutable_metric_observation()->set_period("2026-06");
      request.mutable_body()->mutable_metric_observation()->set_value(value);
      v1::Record written;
      ASSERT_TRUE(chapter->Put(request, &written).ok());
    }
  }
  v1::Rollup network;
  ASSERT_TRUE(RollupBecomes(
      top, top.node_id(), "rollup:housed:2026-06:network",
      [](const v1::Rollup& r) { return r.reporting() == 6; }, &network));
  EXPECT_EQ(network.sum(), total);
  EXPECT_EQ(network.expected(), 6u);
  v1::Rollup south;
  ASSERT_TRUE(RollupBecomes(
      top, top.node_id(), "rollup:housed:2026-06:region:south",
      [](const v1::Rollup& r) { return r.reporting() == 3; }, &south));
  EXPECT_EQ(south.sum(), 60 + 70 + 80);
  // A chapter's status names the hubs whose figures count for it, nearest first.
  const std::string shown = StatusShows(
      *chapters.back(), "hub chain: " + last_regional->node_id() + " -> " + top.node_id());
  EXPECT_THAT(shown, ContainsRegex("enrolled region: +south"));
}

TEST(HubChainTest, AMemberLearnsOfANewHubAboveItsHubPromptly) {
  ldgs::testing::Federation fed;
  NodeProcess& top = fed.AddHub("National", "national");
  NodeProcess& regional = fed.AddHub("South hub", "south");  // no hub above it yet
  NodeProcess& chapter = fed.AddChapter("Tulsa", "south", &regional);
  ASSERT_TRUE(fed.Start());
  StatusShows(chapter, "hub chain: " + regional.node_id() + "\n");
  // The regional hub joins the national one. Its chapter's session is up already; the new
  // chain reaches it on that session's pull stream, not at a Hello minutes later (streams
  // live 600 s).
  CommandResult code = top.Ctl({"invite", "--hub", "--region", "south"});
  ASSERT_EQ(code.exit_code, 0) << code.err;
  CommandResult joined =
      regional.Ctl({"join", code.out.substr(0, code.out.find('\n')), top.listen_address()});
  ASSERT_EQ(joined.exit_code, 0) << joined.err;
  StatusShows(chapter, "hub chain: " + regional.node_id() + " -> " + top.node_id());
}

TEST(ReportRenderingTest, HtmlReportRendersInHeadlessChromium) {
  const char* chromium = "/usr/bin/chromium";
  ASSERT_TRUE(std::filesystem::exists(chromium)) << "deploy/install-deps.sh installs chromium";
  ldgs::testing::Federation fed;
  const ldgs::testing::TempDir& dir = fed.dir();
  NodeProcess& hub = fed.AddHub("Report hub", "test-region");
  std::vector<NodeProcess*> chapters;
  for (int i = 0; i < 3; ++i) {
    chapters.push_back(&fed.AddChapter("Chapter " + std::to_string(i), "test-region", &hub));
  }
  ASSERT_TRUE(fed.Start());
  CommandResult def =
      hub.Ctl({"put", "metric", "--code", "actively_homeless", "--name", "Actively homeless",
               "--direction", "down", "--target", "0", "--visibility", "network"});
  ASSERT_EQ(def.exit_code, 0) << def.err;
  for (int i = 0; i < 3; ++i) {
    for (int month = 1; month <= 6; ++month) {
      Observe(*chapters[i], "2026-0" + std::to_string(month), 100 + 20 * i - 5 * month);
    }
  }
  ASSERT_TRUE(RollupBecomes(hub, hub.node_id(), "rollup:actively_homeless:2026-06:network",
                            [](const v1::Rollup& r) { return r.reporting() == 3; }));
  const std::string html = dir.Sub("report.html");
  ASSERT_EQ(hub.Ctl({"-o", "html", "report", "--file", html}).exit_code, 0);
  const std::string png = dir.Sub("report.png");
  CommandResult shot = ldgs::testing::RunCommand(
      {chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
       "--disable-component-update", "--disable-sync", "--no-first-run",
       "--user-data-dir=" + dir.Sub("chromium"), "--window-size=1200,900", "--screenshot=" + png,
       "file://" + html});
  ASSERT_TRUE(std::filesystem::exists(png)) << shot.err;
  // A blank page compresses to a few hundred bytes; charts and tables do not.
  EXPECT_GT(std::filesystem::file_size(png), 20000u);
  std::ifstream in(html);
  std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(page, HasSubstr("<svg"));
  EXPECT_THAT(page, HasSubstr("State of the network"));
}

}  // namespace
}  // namespace ldgs

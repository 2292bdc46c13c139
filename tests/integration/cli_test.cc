// ldgsctl end to end against a real ldgsd: what a chapter admin types, and what scripts read.
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/node_process.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::CommandResult;
using ::ldgs::testing::NodeProcess;
using ::testing::HasSubstr;
using ::testing::Not;

class CliTest : public ::testing::Test {
 protected:
  CliTest() : node_(dir_.Sub("chapter"), "Chattanooga, TN", "chapter", "south") {
    EXPECT_TRUE(node_.Start());
  }

  // Runs ldgsctl -o json ARGS, expects success, and parses the output.
  nlohmann::json Json(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"-o", "json"});
    CommandResult result = node_.Ctl(args, input);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  }

  size_t RecordCount() { return Json({"list", "--deleted"})["records"].size(); }

  // A failing command: its exit code, and stderr must be one line starting "ldgsctl: ".
  int FailingExit(const std::vector<std::string>& args, const std::string& input = "") {
    CommandResult result = node_.Ctl(args, input);
    EXPECT_EQ(result.err.rfind("ldgsctl: ", 0), 0u) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;
    return result.exit_code;
  }

  ldgs::testing::TempDir dir_;
  NodeProcess node_;
};

TEST_F(CliTest, StatusTableAndJson) {
  CommandResult table = node_.Ctl({"status"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.out, HasSubstr(node_.node_id()));
  EXPECT_THAT(table.out, HasSubstr("Chattanooga, TN"));
  EXPECT_THAT(table.out, ::testing::ContainsRegex("hub chain: +\\(none yet\\)"));
  nlohmann::json status = Json({"status"});
  EXPECT_EQ(status["node_id"], node_.node_id());
  EXPECT_EQ(status["role"], "ROLE_CHAPTER");
}

TEST_F(CliTest, PutWithFlagsThenGetAndList) {
  nlohmann::json put =
      Json({"put", "practice", "--title", "Landlord risk mitigation fund", "--summary",
            "A fund that covers damages so landlords say yes.", "--issue-area", "housing",
            "--community", "veterans", "--strategy", "public-private-partnership", "--tag",
            "landlords", "--visibility", "network"});
  const std::string id = put["id"];
  EXPECT_EQ(put["visibility"], "VISIBILITY_NETWORK");
  EXPECT_EQ(Json({"get", id})["practice"]["communities"][0], "veterans");

  CommandResult table = node_.Ctl({"list", "--kind", "practice"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.out, HasSubstr("Landlord risk mitigation fund"));
  EXPECT_THAT(table.out, HasSubstr("network"));
  EXPECT_EQ(Json({"list", "--tag", "landlords"})["records"].size(), 1u);
  EXPECT_EQ(Json({"list", "--tag", "youth"})["records"].size(), 0u);
  EXPECT_EQ(Json({"list", "--origin", node_.node_id(), "--kind", "practice"})["records"].size(),
            1u);
}

TEST_F(CliTest, PutMetricAndObservationAndCorrectIt) {
  nlohmann::json def = Json({"put", "metric", "--code", "veterans_actively_homeless", "--name",
                             "Actively homeless veterans", "--direction", "down", "--target", "0"});
  EXPECT_EQ(def["id"], "metric:veterans_actively_homeless");
  EXPECT_EQ(def["metric_definition"]["target"], 0);
  nlohmann::json obs = Json({"put", "observation", "--metric", "veterans_actively_homeless",
                             "--period", "2026-05", "--value", "7"});
  nlohmann::json fixed = Json({"put", "observation", "--metric", "veterans_actively_homeless",
                               "--period", "2026-05", "--value", "6"});
  EXPECT_EQ(obs["id"], fixed["id"]);
  EXPECT_EQ(Json({"get", obs["id"]})["metric_observation"]["value"], 6);
  EXPECT_EQ(Json({"list", "--kind", "observation"})["records"].size(), 1u);
}

TEST_F(CliTest, PutFromJsonFileAndStdin) {
  const std::string file = dir_.Sub("story.json");
  std::ofstream(file)
      << R"({"title": "Housed after six years", "body": "...", "tags": ["veterans"]})";
  nlohmann::json story = Json({"put", "story", "--json", file});
  EXPECT_EQ(story["story"]["title"], "Housed after six years");
  nlohmann::json practice =
      Json({"put", "practice", "--json", "-"},
           R"({"title": "Case conferencing", "strategies": ["sustained-commitment"]})");
  EXPECT_EQ(practice["practice"]["strategies"][0], "sustained-commitment");
}

TEST_F(CliTest, ShareAndDelete) {
  const std::string id = Json({"put", "story", "--title", "A hard winter"})["id"];
  EXPECT_EQ(Json({"share", id, "hub"})["visibility"], "VISIBILITY_HUB");
  nlohmann::json deleted = Json({"delete", id});
  EXPECT_EQ(deleted["deleted"], true);
  EXPECT_EQ(Json({"list", "--kind", "story"})["records"].size(), 0u);
  EXPECT_EQ(Json({"list", "--kind", "story", "--deleted"})["records"].size(), 1u);
}

TEST_F(CliTest, BadInputGivesOneLineAndExitCodeAndChangesNothing) {
  const size_t before = RecordCount();
  EXPECT_EQ(FailingExit({"put", "practice"}), 2);  // no title
  EXPECT_EQ(FailingExit({"put", "practice", "--title", "x", "--visibility", "everyone"}), 2);
  EXPECT_EQ(FailingExit({"put", "observation", "--metric", "housed", "--period", "2026-13",
                         "--value", "3"}),
            2);
  EXPECT_EQ(FailingExit({"put", "observation", "--metric", "housed", "--period", "2026-03"}), 2);
  EXPECT_EQ(FailingExit({"put", "widget", "--title", "x"}), 2);
  EXPECT_EQ(FailingExit({"put", "story", "--json", "-"}, R"({"title": "x", "colour": "red"})"), 2);
  EXPECT_EQ(FailingExit({"put", "story", "--json", "-"}, "{not json"), 2);
  EXPECT_EQ(FailingExit({"put", "story", "--json", dir_.Sub("missing.json")}), 2);
  EXPECT_EQ(FailingExit({"share", "story-none", "hub"}), 4);
  EXPECT_EQ(FailingExit({"get", "no-such-record"}), 4);
  EXPECT_EQ(FailingExit({"list", "--kind", "widget"}), 2);
  EXPECT_EQ(FailingExit({"frobnicate"}), 2);
  EXPECT_EQ(RecordCount(), before);
}

TEST_F(CliTest, WrongTokenAndUnreachableNodeHaveTheirOwnExitCodes) {
  const std::string bad_token = dir_.Sub("bad.token");
  std::ofstream(bad_token) << "not-the-token\n";
  EXPECT_EQ(FailingExit({"--token-file", bad_token, "status"}), 5);
  node_.Stop();
  EXPECT_EQ(FailingExit({"status"}), 3);
  CommandResult result = node_.Ctl({"status"});
  EXPECT_THAT(result.err, HasSubstr("no node running"));
  EXPECT_THAT(result.err, Not(HasSubstr("\n\n")));
}

}  // namespace
}  // namespace ldgs

namespace ldgs {
namespace {

TEST_F(CliTest, ImportPutsEveryLineAndABadLineAnywhereWritesNothing) {
  const std::string good =
      R"({"kind":"practice","visibility":"network","body":{"title":"Case conferencing"}})"
      "\n"
      R"({"kind":"observation","visibility":"hub","body":{"metric":"housed","period":"2026-02","value":12}})"
      "\n";
  CommandResult ok = node_.Ctl({"import", "-"}, good);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("imported 2 records"));
  const size_t before = RecordCount();
  const std::string bad = R"({"kind":"story","body":{"title":"fine"}})"
                          "\n"
                          R"({"kind":"story","body":{"title":""}})"
                          "\n"
                          R"({"kind":"story","body":{"title":"never reached"}})"
                          "\n";
  EXPECT_EQ(FailingExit({"import", "-"}, bad), 2);
  CommandResult result = node_.Ctl({"import", "-"}, bad);
  EXPECT_THAT(result.err, HasSubstr("-:2:"));
  EXPECT_EQ(RecordCount(), before);  // the whole file is checked before the first write
}

}  // namespace
}  // namespace ldgs

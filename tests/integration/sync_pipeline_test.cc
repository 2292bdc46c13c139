// Bulk replication through real ldgsd processes under mutual TLS: a pipelined push of many
// batches delivers every record exactly once, a hub's rate limit holds a chapter back and
// the chapter sees why, and an import is one all-or-nothing file.
#include <fstream>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/federation.h"
#include "tests/support/node_process.h"

namespace ldgs {
namespace {

using ::testing::HasSubstr;
using testing::NodeProcess;

// `count` network stories with ids story-FIRST.. as import lines.
std::string StoryLines(int first, int count) {
  std::string lines;
  for (int i = first; i < first + count; ++i) {
    lines += R"({"kind":"story","visibility":"network","id":"story-)" + std::to_string(i) +
             R"(","body":{"title":"Story )" + std::to_string(i) + R"("}})" + "\n";
  }
  return lines;
}

// Origin/id -> how many times the node lists it (a record held twice would count 2).
std::map<std::string, int> Held(const NodeProcess& node, const std::string& origin) {
  std::map<std::string, int> held;
  for (const v1::Record& r : node.ListAll()) {
    if (r.origin() == origin && r.has_story()) ++held[r.id()];
  }
  return held;
}

TEST(SyncPipelineTest, APipelinedPushDeliversEveryRecordOnceAndTheAcksCoverIt) {
  constexpr int kStories = 3200;  // 7 batches of 500: several in flight at once
  testing::Federation fed({.tls = true});
  NodeProcess& hub = fed.AddHub("Hub", "midwest");
  NodeProcess& chapter = fed.AddChapter("Rockford", "midwest", &hub);
  ASSERT_TRUE(fed.Start());
  const testing::CommandResult imported = chapter.Ctl({"import", "-"}, StoryLines(0, kStories));
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  ASSERT_TRUE(chapter.SyncWait(120));
  const std::map<std::string, int> held = Held(hub, chapter.node_id());
  EXPECT_EQ(held.size(), static_cast<size_t>(kStories));
  for (const auto& [id, times] : held) EXPECT_EQ(times, 1) << id;
  std::optional<v1::PeerStatus> seen = chapter.PeerStatusOf(hub.node_id());
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->outbound_behind(), 0u);  // acknowledged through the chapter's head
}

// The hub takes a burst of 500 records, then 60 a minute: the chapter's 1,200 stories are
// held back after the burst (refilling the next batch would take minutes), the chapter's
// `peers` says why, and the hub holds no more than it took.
TEST(SyncPipelineTest, AThrottledChapterIsHeldBackAndSeesWhy) {
  testing::Federation fed({.tls = true});
  NodeProcess& hub = fed.AddHub("Hub", "midwest");
  NodeProcess& chapter = fed.AddChapter("Rockford", "midwest", &hub);
  std::ofstream(hub.data_dir() + "/ldgsd.toml", std::ios::app)
      << "\n[replication]\nburst_records = 500\nmax_records_per_minute = 60\n";
  ASSERT_TRUE(fed.StartNode(hub));
  // The chapter's records are there before it first dials, so it pushes them at once.
  const std::string lines = StoryLines(0, 1200);
  ASSERT_TRUE(fed.StartNode(chapter));
  ASSERT_EQ(chapter.Ctl({"import", "-"}, lines).exit_code, 0);
  v1::PeerStatus seen;
  ASSERT_TRUE(chapter.WaitForPeer(
      hub.node_id(), [](const v1::PeerStatus& p) { return !p.throttled().empty(); },
      std::chrono::seconds(60), &seen));
  EXPECT_THAT(seen.throttled(), HasSubstr("over 60 records a minute after a burst of 500"));
  EXPECT_THAT(chapter.Ctl({"peers"}).out, HasSubstr("throttled: over 60 records a minute"));
  EXPECT_THAT(hub.Ctl({"peers"}).out, HasSubstr("throttled: over 60 records a minute"));
  const size_t held = Held(hub, chapter.node_id()).size();
  EXPECT_LE(held, 500u);
  EXPECT_GT(seen.outbound_behind(), 0u);
}

TEST(SyncPipelineTest, AnImportChecksTheWholeFileFirstAndTakesCsvWithAHeader) {
  testing::TempDir dir;
  NodeProcess node(dir.Sub("node"), "Rockford");
  ASSERT_TRUE(node.Start());
  const uint64_t before = node.LastSequence();
  // A bad line at the very end (past the first 2,000-record chunk) writes nothing.
  const std::string file = dir.Sub("stories.jsonl");
  std::ofstream(file) << StoryLines(0, 2500) << R"({"kind":"story","body":{"title":""}})"
                      << "\n";
  testing::CommandResult refused = node.Ctl({"import", file});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr(file + ":2501:"));
  EXPECT_EQ(node.LastSequence(), before);

  const std::string csv = dir.Sub("records.csv");
  std::ofstream(csv) << "kind,id,visibility,title,tags,metric,period,value\n"
                        "story,s1,network,\"Winter, and \"\"after\"\"\",a;b,,,\n"
                        "observation,,hub,,,housed,2026-02,12\n";
  testing::CommandResult ok = node.Ctl({"import", csv});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("imported 2 records"));
  v1::Record story;
  ASSERT_TRUE(node.Get(node.node_id(), "s1", &story).ok());
  EXPECT_EQ(story.story().title(), "Winter, and \"after\"");
  EXPECT_THAT(story.story().tags(), ::testing::ElementsAre("a", "b"));
  EXPECT_EQ(story.visibility(), v1::VISIBILITY_NETWORK);
  v1::Record observation;
  ASSERT_TRUE(node.Get(node.node_id(), "obs:housed:2026-02", &observation).ok());
  EXPECT_EQ(observation.metric_observation().value(), 12);

  // A header naming a field no record has is refused with its line.
  const std::string typo = dir.Sub("typo.csv");
  std::ofstream(typo) << "kind,titel\nstory,x\n";
  testing::CommandResult bad_header = node.Ctl({"import", typo});
  EXPECT_EQ(bad_header.exit_code, 2);
  EXPECT_THAT(bad_header.err, HasSubstr(typo + ":1: unknown column \"titel\""));
}

}  // namespace
}  // namespace ldgs

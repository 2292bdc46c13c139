// Bulk replication through real ldgsd processes under mutual TLS: a pipelined push of many
// batches delivers every record exactly once, a hub's rate limit holds a chapter back and
// the chapter sees why, and an import is one all-or-nothing file.
#include <chrono>
#include <fstream>
#include <set>
#include <string>
#include <thread>

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

// The ids of `origin`'s stories the node holds.
std::set<std::string> Held(const NodeProcess& node, const std::string& origin) {
  std::set<std::string> held;
  for (const v1::Record& r : node.ListAll()) {
    if (r.origin() == origin && r.has_story()) held.insert(r.id());
  }
  return held;
}

// Polls (with a deadline) until `node` holds all `count` stories of `origin`.
bool WaitHolds(const NodeProcess& node, const std::string& origin, size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Held(node, origin).size() == count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// 3,200 stories are 7 batches of 500 up (several in flight) and down again to a sister
// chapter of the same hub, checked on every core both ways; the hub's feed is then mostly
// the first chapter's own records, which its pull skips unread.
// Sets the hub's push limit (before it starts): a burst, then a rate a minute.
void LimitPushes(const NodeProcess& hub, int burst, int per_minute) {
  std::ofstream(hub.data_dir() + "/ldgsd.toml", std::ios::app)
      << "\n[replication]\nburst_records = " << burst << "\nmax_records_per_minute = " << per_minute
      << "\n";
}

TEST(SyncPipelineTest, ManyBatchesReachTheHubAndTheOtherChapterAndTheAcksCoverThem) {
  constexpr size_t kStories = 3200;
  testing::Federation fed({.tls = true});
  NodeProcess& hub = fed.AddHub("Hub", "midwest");
  NodeProcess& chapter = fed.AddChapter("Rockford", "midwest", &hub);
  NodeProcess& other = fed.AddChapter("Peoria", "midwest", &hub);
  ASSERT_TRUE(fed.Start());
  const testing::CommandResult imported = chapter.Ctl({"import", "-"}, StoryLines(0, kStories));
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  ASSERT_TRUE(chapter.SyncWait(120));
  EXPECT_EQ(Held(hub, chapter.node_id()).size(), kStories);
  EXPECT_TRUE(WaitHolds(other, chapter.node_id(), kStories));
  std::optional<v1::PeerStatus> seen = chapter.PeerStatusOf(hub.node_id());
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->outbound_behind(), 0u);  // acknowledged through the chapter's head
  EXPECT_TRUE(chapter.WaitForPeer(hub.node_id(), [](const v1::PeerStatus& p) {
    return p.inbound_behind() == 0;  // the hub's progress past our own records arrived
  }));
}

// The hub takes a burst of 500, then 6,000 a minute (100 a second): the chapter's 1,200
// stories are held back and then all arrive, and the hold is lifted on both sides.
TEST(SyncPipelineTest, AHeldBackPushResumesAndEverythingArrives) {
  testing::Federation fed({.tls = true});
  NodeProcess& hub = fed.AddHub("Hub", "midwest");
  NodeProcess& chapter = fed.AddChapter("Rockford", "midwest", &hub);
  LimitPushes(hub, 500, 6000);
  ASSERT_TRUE(fed.Start());
  ASSERT_EQ(chapter.Ctl({"import", "-"}, StoryLines(0, 1200)).exit_code, 0);
  EXPECT_TRUE(WaitHolds(hub, chapter.node_id(), 1200));
  EXPECT_TRUE(chapter.WaitForPeer(hub.node_id(), [](const v1::PeerStatus& p) {
    return p.throttled().empty() && p.outbound_behind() == 0;
  }));
  std::optional<v1::PeerStatus> at_hub = hub.PeerStatusOf(chapter.node_id());
  ASSERT_TRUE(at_hub.has_value());
  EXPECT_EQ(at_hub->throttled(), "");
}

// The hub takes a burst of 500 records, then 60 a minute: the chapter's 1,200 stories are
// held back after the burst (refilling the next batch would take minutes), the chapter's
// `peers` says why, and the hub holds no more than it took.
TEST(SyncPipelineTest, AThrottledChapterIsHeldBackAndSeesWhy) {
  testing::Federation fed({.tls = true});
  NodeProcess& hub = fed.AddHub("Hub", "midwest");
  NodeProcess& chapter = fed.AddChapter("Rockford", "midwest", &hub);
  LimitPushes(hub, 500, 60);
  ASSERT_TRUE(fed.StartNode(hub));
  ASSERT_TRUE(fed.StartNode(chapter));
  ASSERT_EQ(chapter.Ctl({"import", "-"}, StoryLines(0, 1200)).exit_code, 0);
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
  // As a spreadsheet saves it: a UTF-8 byte order mark before the header.
  std::ofstream(csv) << "\xEF\xBB\xBFkind,id,visibility,title,tags,metric,period,value\n"
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

  // One line's meaning for another, which no chunk's check on the node can see: an
  // observation outside the bounds the same file defines its metric with, and a derived id
  // given explicitly to a record of another kind.
  const std::string bounds = dir.Sub("bounds.jsonl");
  std::ofstream(bounds)
      << R"({"kind":"metric","visibility":"hub","body":{"code":"beds","name":"Beds","max_value":10}})"
      << "\n"
      << StoryLines(0, 2500)
      << R"({"kind":"observation","visibility":"hub","body":{"metric":"beds","period":"2026-03","value":50}})"
      << "\n";
  const uint64_t before_bounds = node.LastSequence();
  testing::CommandResult out_of_bounds = node.Ctl({"import", bounds});
  EXPECT_EQ(out_of_bounds.exit_code, 2);
  EXPECT_THAT(out_of_bounds.err,
              HasSubstr(bounds + ":2502: value of beds is outside the bounds it is defined with "
                                 "on line 1"));
  const std::string clash = dir.Sub("clash.jsonl");
  std::ofstream(clash)
      << R"({"kind":"observation","visibility":"hub","body":{"metric":"beds","period":"2026-04","value":5}})"
      << "\n"
      << R"({"kind":"story","id":"obs:beds:2026-04","body":{"title":"not an observation"}})"
      << "\n";
  testing::CommandResult clashed = node.Ctl({"import", clash});
  EXPECT_EQ(clashed.exit_code, 2);
  EXPECT_THAT(clashed.err, HasSubstr(clash + ":2: record obs:beds:2026-04 is a observation"));
  EXPECT_EQ(node.LastSequence(), before_bounds);

  // A header naming a field no record has is refused with its line.
  const std::string typo = dir.Sub("typo.csv");
  std::ofstream(typo) << "kind,titel\nstory,x\n";
  testing::CommandResult bad_header = node.Ctl({"import", typo});
  EXPECT_EQ(bad_header.exit_code, 2);
  EXPECT_THAT(bad_header.err, HasSubstr(typo + ":1: unknown column \"titel\""));
}

}  // namespace
}  // namespace ldgs

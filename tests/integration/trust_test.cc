// The attacks of a hostile member on the network's learnings, by wire (raw peers) and by
// ldgsctl: every one refused (with its status where a call is refused, skipped and counted
// where a batch carries it), nothing written, and the published figures unchanged.
#include <algorithm>
#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "record/signed_record.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"
#include "tests/support/record_helpers.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::CommandResult;
using ::ldgs::testing::NodeProcess;
using ::ldgs::testing::RawPeer;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kMetric[] = "actively_homeless";
constexpr char kPeriod[] = "2026-03";

v1::Record Observation(double value, const std::string& id = "") {
  v1::Record r;
  r.set_id(id.empty() ? std::string("obs:") + kMetric + ":" + kPeriod : id);
  r.set_version(1);
  r.set_kind(v1::KIND_METRIC_OBSERVATION);
  r.set_visibility(v1::VISIBILITY_HUB);
  r.mutable_metric_observation()->set_metric(kMetric);
  r.mutable_metric_observation()->set_period(kPeriod);
  r.mutable_metric_observation()->set_value(value);
  return r;
}

v1::Record Contribution(double sum, uint32_t reporting, uint32_t expected) {
  v1::Record r;
  r.set_id(std::string("contrib:") + kMetric + ":" + kPeriod);
  r.set_version(1);
  r.set_kind(v1::KIND_ROLLUP);
  r.set_visibility(v1::VISIBILITY_HUB);
  v1::Rollup* c = r.mutable_rollup();
  c->set_metric(kMetric);
  c->set_period(kPeriod);
  c->set_scope("subtree");
  c->set_contribution(true);
  c->set_sum(sum);
  c->set_reporting(reporting);
  c->set_expected(expected);
  return r;
}

// A story for a raw peer to seal.
v1::Record Story(const std::string& id, v1::Visibility visibility, uint64_t version = 1) {
  return ldgs::testing::UnsignedStory(id, visibility, version);
}

// A hub with three chapters of the midwest (raw peers, so that they can also misbehave)
// that reported March: 40 + 50 + 60, published as the network's 150.
class TrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hub_.Start());
    CommandResult def = hub_.Ctl({"put", "metric", "--code", kMetric, "--name", "Actively homeless",
                                  "--min", "0", "--visibility", "network"});
    ASSERT_EQ(def.exit_code, 0) << def.err;
    // All enrolled before any reports: a period is first published once every member did.
    for (int i = 0; i < 3; ++i) {
      chapters_.push_back(std::make_unique<RawPeer>(hub_.listen_address()));
      RawPeer& c = *chapters_.back();
      ASSERT_EQ(hub_.Ctl({"enroll", c.node_id(), "--region", "midwest"}).exit_code, 0);
      ASSERT_TRUE(c.Hello().ok());
    }
    for (int i = 0; i < 3; ++i) {
      RawPeer& c = *chapters_[i];
      ASSERT_TRUE(Push(c, {c.SealOwn(Observation(40 + 10 * i))}).ok());
    }
    ASSERT_EQ(NetworkSum(), 150);
  }

  grpc::Status Push(RawPeer& peer, const std::vector<std::string>& records) {
    v1::Batch batch;
    for (const std::string& r : records) batch.add_records(r);
    batch.set_up_to(++pushed_[peer.node_id()]);
    v1::PushAck ack;
    return peer.Push(batch, &ack);
  }

  // The network rollup's sum at the hub, once its aggregator has decided everything the hub
  // holds now.
  double NetworkSum() {
    v1::Record rollup;
    const std::string id = std::string("rollup:") + kMetric + ":" + kPeriod + ":network";
    if (!hub_.Get(hub_.node_id(), id, &rollup, 60000).ok() || !hub_.WaitAggregated()) return -1;
    if (!hub_.Get(hub_.node_id(), id, &rollup).ok()) return -1;
    return rollup.rollup().has_sum() ? rollup.rollup().sum() : -1;
  }

  uint64_t Refused(const std::string& node_id) {
    nlohmann::json peers = nlohmann::json::parse(hub_.Ctl({"-o", "json", "peers"}).out);
    for (const auto& p : peers["peers"]) {
      if (p["node_id"] == node_id && p.contains("refused")) {
        return std::stoull(p["refused"].get<std::string>());
      }
    }
    return 0;
  }

  // Pushes `records` from `peer`; expects every one skipped and counted, nothing written.
  void ExpectAllSkipped(RawPeer& peer, const std::vector<std::string>& records) {
    const uint64_t before = Refused(peer.node_id());
    const uint64_t sequence = hub_.LastSequence();
    ASSERT_TRUE(Push(peer, records).ok());
    EXPECT_EQ(Refused(peer.node_id()) - before, records.size());
    EXPECT_EQ(hub_.LastSequence(), sequence);  // nothing written (the checkpoint is state)
  }

  ldgs::testing::TempDir dir_;
  NodeProcess hub_{dir_.Sub("hub"), "Hub", "hub", "national"};
  std::vector<std::unique_ptr<RawPeer>> chapters_;
  std::map<std::string, uint64_t> pushed_;
};

TEST_F(TrustTest, AChaptersClaimToBeAHubGrantsNoRelay) {
  RawPeer& a = *chapters_[0];
  ASSERT_TRUE(a.Hello(v1::ROLE_HUB).ok());  // the claim
  RawPeer stranger(hub_.listen_address());
  v1::Record profile;
  profile.set_id("profile");
  profile.set_version(1);
  profile.set_kind(v1::KIND_NODE_PROFILE);
  profile.set_visibility(v1::VISIBILITY_NETWORK);
  profile.mutable_node_profile()->set_name("Fake chapter");
  ExpectAllSkipped(a, {stranger.SealOwn(profile), stranger.SealOwn(Observation(1000))});
  nlohmann::json report = nlohmann::json::parse(hub_.Ctl({"-o", "json", "report"}).out);
  EXPECT_EQ(report["chapters"], 3);
  EXPECT_EQ(NetworkSum(), 150);
}

TEST_F(TrustTest, AnObservationCountsOncePerChapterInTheRegionItsHubEnrolledItIn) {
  RawPeer& a = *chapters_[0];
  // Another id, or a region of its own choosing (an unknown field now): both skipped.
  v1::Record duplicate = Observation(1000, "obs:dup1");
  v1::Record with_region = Observation(1000);
  with_region.set_version(2);
  with_region.mutable_metric_observation()
      ->GetReflection()
      ->MutableUnknownFields(with_region.mutable_metric_observation())
      ->AddLengthDelimited(4, "solo");
  ExpectAllSkipped(a, {a.SealOwn(duplicate), a.SealOwn(with_region)});
  EXPECT_EQ(NetworkSum(), 150);
  // And by ldgsctl on a real chapter: refused at write.
  NodeProcess chapter(dir_.Sub("chapter"), "Chapter", "chapter", "midwest");
  ASSERT_TRUE(chapter.Start());
  CommandResult dup = chapter.Ctl({"put", "observation", "--id", "obs:dup1", "--metric", kMetric,
                                   "--period", kPeriod, "--value", "5"});
  EXPECT_EQ(dup.exit_code, 2);
  EXPECT_THAT(dup.err, HasSubstr("obs:actively_homeless:2026-03"));
  CommandResult region = chapter.Ctl({"put", "observation", "--metric", kMetric, "--period",
                                      kPeriod, "--value", "5", "--region", "solo"});
  EXPECT_NE(region.exit_code, 0);
  EXPECT_THAT(region.err, HasSubstr("--region"));
}

TEST_F(TrustTest, AChapterCannotForgeContributionsOrRollups) {
  RawPeer& a = *chapters_[0];
  v1::Record rollup;
  rollup.set_id(std::string("rollup:") + kMetric + ":" + kPeriod + ":network");
  rollup.set_version(1);
  rollup.set_kind(v1::KIND_ROLLUP);
  rollup.set_visibility(v1::VISIBILITY_NETWORK);
  rollup.mutable_rollup()->set_metric(kMetric);
  rollup.mutable_rollup()->set_period(kPeriod);
  rollup.mutable_rollup()->set_scope("network");
  rollup.mutable_rollup()->set_reporting(99);
  rollup.mutable_rollup()->set_expected(99);
  rollup.mutable_rollup()->set_sum(1);
  ExpectAllSkipped(a, {a.SealOwn(Contribution(1e9, 3, 3)), a.SealOwn(rollup)});
  EXPECT_EQ(NetworkSum(), 150);
  // And from a member hub, figures that are not numbers, or more reports than chapters.
  RawPeer west(hub_.listen_address());
  ASSERT_EQ(hub_.Ctl({"enroll", west.node_id(), "--hub", "--region", "west"}).exit_code, 0);
  ASSERT_TRUE(west.Hello().ok());
  ASSERT_TRUE(hub_.WaitAggregated());
  v1::Record nan = Contribution(std::nan(""), 3, 3);
  v1::Record infinite = Contribution(std::numeric_limits<double>::infinity(), 3, 3);
  v1::Record inflated = Contribution(5, 4294967295u, 1);
  ExpectAllSkipped(west, {west.SealOwn(nan), west.SealOwn(infinite), west.SealOwn(inflated)});
  EXPECT_EQ(NetworkSum(), 150);
  // The same member hub's honest figure counts: the refusals above were about the figures.
  v1::Record honest = Contribution(90, 3, 4);
  honest.set_version(10);
  ASSERT_TRUE(Push(west, {west.SealOwn(honest)}).ok());
  EXPECT_EQ(NetworkSum(), 240);
}

TEST_F(TrustTest, OnlyAMemberHubContributesAndNeverMoreReportsThanChapters) {
  RawPeer west(hub_.listen_address());
  ASSERT_EQ(hub_.Ctl({"enroll", west.node_id(), "--hub", "--region", "west"}).exit_code, 0);
  ASSERT_TRUE(west.Hello().ok());
  // More reports than chapters, and a sum below the metric's bound: not counted.
  const uint64_t before = Refused(west.node_id());
  ASSERT_TRUE(Push(west, {west.SealOwn(Contribution(30, 5, 4))}).ok());
  EXPECT_EQ(Refused(west.node_id()) - before, 1u);
  v1::Record below = Contribution(-30, 3, 4);
  below.set_version(2);
  ASSERT_TRUE(Push(west, {west.SealOwn(below)}).ok());
  EXPECT_EQ(NetworkSum(), 150);
  // An honest summary counts, as the west region, without any chapter's value in it.
  v1::Record honest = Contribution(90, 3, 4);
  honest.set_version(3);
  ASSERT_TRUE(Push(west, {west.SealOwn(honest)}).ok());
  v1::Record region;
  ASSERT_TRUE(hub_.Get(hub_.node_id(),
                       std::string("rollup:") + kMetric + ":" + kPeriod + ":region:west", &region,
                       60000)
                  .ok());
  // The network moved by a whole subtree at once (a member hub's figure, public below).
  EXPECT_EQ(NetworkSum(), 240);
  v1::Record network;
  ASSERT_TRUE(hub_.Get(hub_.node_id(),
                       std::string("rollup:") + kMetric + ":" + kPeriod + ":network", &network)
                  .ok());
  EXPECT_EQ(network.rollup().reporting(), 6u);
  EXPECT_LE(network.rollup().reporting(), network.rollup().expected());
}

TEST_F(TrustTest, HubOnlyRecordsNeverFlowDownToAMemberHub) {
  RawPeer west(hub_.listen_address());
  ASSERT_EQ(hub_.Ctl({"enroll", west.node_id(), "--hub", "--region", "west"}).exit_code, 0);
  ASSERT_TRUE(west.Hello().ok());
  std::vector<std::string> sent;
  ASSERT_TRUE(west.PullAll(&sent).ok());
  ASSERT_FALSE(sent.empty());
  for (const std::string& bytes : sent) {
    absl::StatusOr<v1::Record> r = record::DecodeSignedRecord(bytes);
    ASSERT_TRUE(r.ok());
    EXPECT_NE(r->visibility(), v1::VISIBILITY_HUB) << r->id() << " of " << r->origin();
    EXPECT_FALSE(r->has_rollup() && r->rollup().contribution()) << r->id();
  }
  // And the hub announces its chain: itself first.
  ASSERT_GE(west.last_hello().hub_chain_size(), 1);
  EXPECT_EQ(west.last_hello().hub_chain(0), hub_.node_id());
  EXPECT_EQ(west.last_hello().your_region(), "west");
}

TEST_F(TrustTest, ARevokedChaptersNewRecordsAreRefusedFromAnyRelay) {
  RawPeer& c = *chapters_[2];
  ASSERT_TRUE(Push(c, {c.SealOwn(Story("held", v1::VISIBILITY_NETWORK))}).ok());
  v1::Record held;
  ASSERT_TRUE(hub_.Get(c.node_id(), "held", &held, 60000).ok());
  CommandResult revoked = hub_.Ctl({"revoke", c.node_id(), "--reason", "left the network"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  // The signed notice is a network record of the hub's.
  v1::Record notice;
  ASSERT_TRUE(hub_.Get(hub_.node_id(), "revocation:" + c.node_id(), &notice).ok());
  EXPECT_EQ(notice.revocation().reason(), "left the network");
  EXPECT_EQ(notice.visibility(), v1::VISIBILITY_NETWORK);
  EXPECT_EQ(c.Hello().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // A member hub relaying the revoked chapter: its new record and new content in a held one
  // are refused; a retraction of a held one still arrives.
  RawPeer west(hub_.listen_address());
  ASSERT_EQ(hub_.Ctl({"enroll", west.node_id(), "--hub", "--region", "west"}).exit_code, 0);
  ASSERT_TRUE(west.Hello().ok());
  const uint64_t before = Refused(west.node_id());
  v1::Record retraction = Story("held", v1::VISIBILITY_NETWORK, 3);
  retraction.clear_story();
  retraction.set_deleted(true);
  ASSERT_TRUE(
      Push(west, {c.SealOwn(Story("new", v1::VISIBILITY_NETWORK)),
                  c.SealOwn(Story("held", v1::VISIBILITY_NETWORK, 2)), c.SealOwn(retraction)})
          .ok());
  EXPECT_EQ(Refused(west.node_id()) - before, 2u);
  EXPECT_EQ(hub_.Get(c.node_id(), "new", &held).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(hub_.Get(c.node_id(), "held", &held, 60000, 3).ok());
  EXPECT_TRUE(held.deleted());
  // Re-enrolling never lifts a revocation by accident.
  CommandResult again = hub_.Ctl({"enroll", c.node_id(), "--region", "midwest"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_THAT(again.err, HasSubstr("--reinstate"));
}

TEST_F(TrustTest, EnrollmentTermsAreCheckedByLdgsctl) {
  RawPeer x(hub_.listen_address());
  CommandResult no_region = hub_.Ctl({"enroll", x.node_id()});
  EXPECT_EQ(no_region.exit_code, 2);
  EXPECT_THAT(no_region.err, HasSubstr("--region"));
  CommandResult both = hub_.Ctl({"enroll", x.node_id(), "--hub", "--sister"});
  EXPECT_NE(both.exit_code, 0);
  CommandResult bad_region = hub_.Ctl({"enroll", x.node_id(), "--region", "a:b"});
  EXPECT_EQ(bad_region.exit_code, 2);
  CommandResult sister_region = hub_.Ctl({"enroll", x.node_id(), "--sister", "--region", "x"});
  EXPECT_EQ(sister_region.exit_code, 2);
  // A member hub's region is its own: not the midwest, which holds chapters.
  CommandResult mixed = hub_.Ctl({"enroll", x.node_id(), "--hub", "--region", "midwest"});
  EXPECT_NE(mixed.exit_code, 0);
  EXPECT_THAT(mixed.err, HasSubstr("a member hub's region is its own"));
  // None of these enrolled anything.
  EXPECT_THAT(hub_.Ctl({"peers"}).out, Not(HasSubstr(x.node_id().substr(0, 8))));
}

TEST_F(TrustTest, ReportsHoldOnlyWhatTheirAudienceMaySeeAndEscapeControlCharacters) {
  ASSERT_EQ(hub_.Ctl({"put", "practice", "--title", "Hub private practice"}).exit_code, 0);
  ASSERT_EQ(hub_.Ctl({"put", "story", "--title", "Hub private story"}).exit_code, 0);
  RawPeer& a = *chapters_[0];
  v1::Record hub_only;
  hub_only.set_id("practice-hubonly");
  hub_only.set_version(1);
  hub_only.set_kind(v1::KIND_PRACTICE);
  hub_only.set_visibility(v1::VISIBILITY_HUB);
  hub_only.mutable_practice()->set_title("Hub-only practice");
  v1::Record loud = hub_only;
  loud.set_id("practice-loud");
  loud.set_visibility(v1::VISIBILITY_NETWORK);
  loud.mutable_practice()->set_title(
      "\x1b[31mred\x1b[0m \xc2\x9b"
      "2J title");
  v1::Record story;
  story.set_id("story-network");
  story.set_version(1);
  story.set_kind(v1::KIND_STORY);
  story.set_visibility(v1::VISIBILITY_NETWORK);
  story.mutable_story()->set_title("A member's network story");
  ASSERT_TRUE(Push(a, {a.SealOwn(hub_only), a.SealOwn(loud), a.SealOwn(story)}).ok());
  v1::Record held;
  ASSERT_TRUE(hub_.Get(a.node_id(), "practice-loud", &held, 60000).ok());
  for (const char* audience : {"network", "public", "operator"}) {
    CommandResult report = hub_.Ctl({"-o", "json", "report", "--audience", audience});
    ASSERT_EQ(report.exit_code, 0) << report.err;
    const nlohmann::json j = nlohmann::json::parse(report.out);
    const std::string view = audience;
    // The hub's own private practice and story are in none; the member's hub-only practice
    // in the operator's only.
    EXPECT_EQ(j["practices"], view == "operator" ? 2 : view == "network" ? 1 : 0) << view;
    EXPECT_EQ(j["stories"], view == "public" ? 0 : 1) << view;
    for (const char* format : {"table", "html"}) {
      CommandResult rendered = hub_.Ctl({"-o", format, "report", "--audience", audience});
      ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
      EXPECT_THAT(rendered.out, Not(HasSubstr("Hub private"))) << view << " " << format;
      EXPECT_THAT(rendered.out, Not(HasSubstr("\x1b"))) << view << " " << format;
      EXPECT_THAT(rendered.out, Not(HasSubstr("\xc2\x9b"))) << view << " " << format;
      // The loud title is there, escaped: the checks above bite.
      if (view != "public") {
        EXPECT_THAT(rendered.out, HasSubstr("red")) << view << " " << format;
      }
    }
  }
  CommandResult listed = hub_.Ctl({"list", "--kind", "practice"});
  ASSERT_EQ(listed.exit_code, 0);
  EXPECT_THAT(listed.out, Not(HasSubstr("\x1b")));
  EXPECT_THAT(listed.out, Not(HasSubstr("\xc2\x9b")));
  EXPECT_THAT(listed.out, HasSubstr("\\x1b[31mred"));
  EXPECT_THAT(listed.out, HasSubstr("\\u009b2J"));
}

TEST(TrustRelayTest, AChapterAcceptsRelayedRecordsOnlyFromItsHub) {
  ldgs::testing::TempDir dir;
  NodeProcess chapter(dir.Sub("chapter"), "Chapter", "chapter", "midwest");
  ASSERT_TRUE(chapter.Start());
  RawPeer sister(chapter.listen_address());
  ASSERT_EQ(chapter.Ctl({"enroll", sister.node_id(), "--sister"}).exit_code, 0);
  ASSERT_TRUE(sister.Hello().ok());
  RawPeer third(chapter.listen_address());
  v1::Batch batch;
  batch.add_records(third.SealOwn(Story("relayed", v1::VISIBILITY_NETWORK)));
  batch.add_records(sister.SealOwn(Story("own", v1::VISIBILITY_NETWORK)));
  batch.set_up_to(1);
  v1::PushAck ack;
  ASSERT_TRUE(sister.Push(batch, &ack).ok());
  v1::Record held;
  EXPECT_TRUE(chapter.Get(sister.node_id(), "own", &held, 60000).ok());
  EXPECT_EQ(chapter.Get(third.node_id(), "relayed", &held).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace ldgs

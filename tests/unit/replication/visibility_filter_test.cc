#include "daemon/replication/visibility_filter.h"

#include "gtest/gtest.h"
#include "record/signed_record.h"
#include "tests/support/test_records.h"

namespace ldgs::daemon::replication {
namespace {

constexpr v1::Visibility kVisibilities[] = {v1::VISIBILITY_UNSPECIFIED, v1::VISIBILITY_PRIVATE,
                                            v1::VISIBILITY_HUB, v1::VISIBILITY_NETWORK,
                                            v1::VISIBILITY_PUBLIC};
constexpr v1::Relation kRelations[] = {v1::RELATION_UNSPECIFIED, v1::RELATION_HUB,
                                       v1::RELATION_MEMBER, v1::RELATION_MEMBER_HUB,
                                       v1::RELATION_SISTER};

enum class Body { kStory, kRollup, kContribution, kRevocation };
constexpr Body kBodies[] = {Body::kStory, Body::kRollup, Body::kContribution, Body::kRevocation};

v1::Record RecordOf(const std::string& origin, v1::Visibility visibility, Body body = Body::kStory,
                    bool deleted = false) {
  v1::Record r;
  r.set_origin(origin);
  r.set_id("r");
  r.set_visibility(visibility);
  r.set_deleted(deleted);
  switch (body) {
    case Body::kStory:
      r.set_kind(v1::KIND_STORY);
      break;
    case Body::kRollup:
      r.set_kind(v1::KIND_ROLLUP);
      break;
    case Body::kContribution:
      r.set_kind(v1::KIND_ROLLUP);
      r.mutable_rollup()->set_contribution(true);
      break;
    case Body::kRevocation:
      r.set_kind(v1::KIND_REVOCATION);
      break;
  }
  return r;
}

const SelfView kChapter{"SELF", false, {"HUB"}};
const SelfView kHub{"SELF", true, {"TOP"}};

TEST(VisibilityFilterTest, PrivateNeverLeavesWhateverThePeer) {
  for (const SelfView& self : {kChapter, kHub}) {
    for (v1::Relation relation : kRelations) {
      for (const std::string& origin : {std::string("SELF"), std::string("OTHER")}) {
        for (Body body : kBodies) {
          for (bool deleted : {false, true}) {
            PeerView peer{"PEER", relation};
            EXPECT_FALSE(
                MaySend(RecordOf(origin, v1::VISIBILITY_PRIVATE, body, deleted), self, peer));
            EXPECT_FALSE(
                MaySend(RecordOf(origin, v1::VISIBILITY_UNSPECIFIED, body, deleted), self, peer));
            EXPECT_FALSE(
                CheckMayReceive(RecordOf(origin, v1::VISIBILITY_PRIVATE, body), self, peer).ok());
          }
        }
      }
    }
  }
}

TEST(VisibilityFilterTest, HubRecordsGoOnlyFromTheirOriginToItsHub) {
  for (const SelfView& self : {kChapter, kHub}) {
    for (v1::Relation relation : kRelations) {
      PeerView peer{"PEER", relation};
      EXPECT_EQ(MaySend(RecordOf("SELF", v1::VISIBILITY_HUB), self, peer),
                relation == v1::RELATION_HUB);
      // A hub never relays a member's hub-only record, up or down.
      EXPECT_FALSE(MaySend(RecordOf("OTHER", v1::VISIBILITY_HUB), self, peer));
      EXPECT_EQ(CheckMayReceive(RecordOf("PEER", v1::VISIBILITY_HUB), self, peer).ok(),
                relation == v1::RELATION_MEMBER || relation == v1::RELATION_MEMBER_HUB);
    }
  }
}

TEST(VisibilityFilterTest, NetworkRecordsAreRelayedOnlyByHubsAlongTheTree) {
  for (v1::Visibility visibility : {v1::VISIBILITY_NETWORK, v1::VISIBILITY_PUBLIC}) {
    for (v1::Relation relation :
         {v1::RELATION_HUB, v1::RELATION_MEMBER, v1::RELATION_MEMBER_HUB, v1::RELATION_SISTER}) {
      PeerView peer{"PEER", relation};
      EXPECT_TRUE(MaySend(RecordOf("SELF", visibility), kChapter, peer));
      EXPECT_TRUE(MaySend(RecordOf("SELF", visibility), kHub, peer));
      EXPECT_FALSE(MaySend(RecordOf("OTHER", visibility), kChapter, peer));
      EXPECT_EQ(MaySend(RecordOf("OTHER", visibility), kHub, peer),
                relation != v1::RELATION_SISTER);
      EXPECT_FALSE(MaySend(RecordOf("PEER", visibility), kHub, peer)) << "never back to origin";
      EXPECT_TRUE(MaySend(RecordOf("PEER", visibility), kHub, {"PEER", relation, true}))
          << "unless it asked, after a restore";
    }
    EXPECT_FALSE(MaySend(RecordOf("SELF", visibility), kHub, {"PEER", v1::RELATION_UNSPECIFIED}));
  }
}

TEST(VisibilityFilterTest, RightsComeFromTheEnrollmentNotFromWhatAPeerSaysItIs) {
  // A chapter that set role = hub in its own config relays: its hub refuses it, because it
  // enrolled that node as a member chapter.
  const SelfView self_claimed_hub{"CHAPTER", true, {"HUB"}};
  const v1::Record relayed = RecordOf("THIRD", v1::VISIBILITY_NETWORK);
  EXPECT_TRUE(MaySend(relayed, self_claimed_hub, {"HUB", v1::RELATION_HUB}));  // it tries
  EXPECT_FALSE(CheckMayReceive(relayed, kHub, {"CHAPTER", v1::RELATION_MEMBER}).ok());
  EXPECT_TRUE(CheckMayReceive(relayed, kHub, {"REGIONAL", v1::RELATION_MEMBER_HUB}).ok());
  // A sister relays nothing, and a chapter takes relayed records only from its own hub.
  EXPECT_FALSE(CheckMayReceive(relayed, kChapter, {"SISTER", v1::RELATION_SISTER}).ok());
  EXPECT_TRUE(CheckMayReceive(relayed, kChapter, {"HUB", v1::RELATION_HUB}).ok());
}

TEST(VisibilityFilterTest, RollupsAndRevocationsCountOnlyFromTheHubChain) {
  for (Body body : {Body::kRollup, Body::kRevocation}) {
    // From its hub, or the hub's hub relayed by it: accepted. From anyone else: refused.
    EXPECT_TRUE(CheckMayReceive(RecordOf("HUB", v1::VISIBILITY_NETWORK, body), kChapter,
                                {"HUB", v1::RELATION_HUB})
                    .ok());
    const SelfView deeper{"SELF", false, {"HUB", "TOP"}};
    EXPECT_TRUE(CheckMayReceive(RecordOf("TOP", v1::VISIBILITY_NETWORK, body), deeper,
                                {"HUB", v1::RELATION_HUB})
                    .ok());
    EXPECT_FALSE(CheckMayReceive(RecordOf("ELSEWHERE", v1::VISIBILITY_NETWORK, body), deeper,
                                 {"HUB", v1::RELATION_HUB})
                     .ok());
    // A member's own "rollup" is no rollup here, and a sister's neither.
    EXPECT_FALSE(CheckMayReceive(RecordOf("PEER", v1::VISIBILITY_NETWORK, body), kHub,
                                 {"PEER", v1::RELATION_MEMBER})
                     .ok());
    EXPECT_FALSE(CheckMayReceive(RecordOf("PEER", v1::VISIBILITY_NETWORK, body), kChapter,
                                 {"PEER", v1::RELATION_SISTER})
                     .ok());
    // A hub sends its own and its chain's down, never up.
    EXPECT_TRUE(MaySend(RecordOf("SELF", v1::VISIBILITY_NETWORK, body), kHub,
                        {"MEMBER", v1::RELATION_MEMBER}));
    EXPECT_TRUE(MaySend(RecordOf("TOP", v1::VISIBILITY_NETWORK, body), kHub,
                        {"MEMBER", v1::RELATION_MEMBER}));
    EXPECT_FALSE(
        MaySend(RecordOf("SELF", v1::VISIBILITY_NETWORK, body), kHub, {"TOP", v1::RELATION_HUB}));
  }
}

TEST(VisibilityFilterTest, HubOnlyRollupsOrRevocationsFlowNowhere) {
  for (Body body : {Body::kRollup, Body::kRevocation}) {
    EXPECT_FALSE(
        MaySend(RecordOf("SELF", v1::VISIBILITY_HUB, body), kHub, {"MEMBER", v1::RELATION_MEMBER}));
    EXPECT_FALSE(CheckMayReceive(RecordOf("HUB", v1::VISIBILITY_HUB, body), kChapter,
                                 {"HUB", v1::RELATION_HUB})
                     .ok());
  }
}

TEST(VisibilityFilterTest, ContributionsNeverGoDownOrSideways) {
  const v1::Record mine = RecordOf("SELF", v1::VISIBILITY_HUB, Body::kContribution);
  EXPECT_FALSE(MaySend(mine, kHub, {"REGIONAL", v1::RELATION_MEMBER_HUB}));
  EXPECT_FALSE(MaySend(mine, kHub, {"CHAPTER", v1::RELATION_MEMBER}));
  EXPECT_FALSE(MaySend(mine, kHub, {"SISTER", v1::RELATION_SISTER}));
  const SelfView regional{"SELF", true, {"HUB"}};
  EXPECT_FALSE(CheckMayReceive(RecordOf("HUB", v1::VISIBILITY_HUB, Body::kContribution), regional,
                               {"HUB", v1::RELATION_HUB})
                   .ok());
  EXPECT_FALSE(CheckMayReceive(RecordOf("SISTER", v1::VISIBILITY_HUB, Body::kContribution),
                               kChapter, {"SISTER", v1::RELATION_SISTER})
                   .ok());
}

TEST(VisibilityFilterTest, ContributionsGoOnlyFromAMemberHubToItsHub) {
  const v1::Record own = RecordOf("PEER", v1::VISIBILITY_HUB, Body::kContribution);
  EXPECT_TRUE(CheckMayReceive(own, kHub, {"PEER", v1::RELATION_MEMBER_HUB}).ok());
  EXPECT_FALSE(CheckMayReceive(own, kHub, {"PEER", v1::RELATION_MEMBER}).ok());  // a chapter
  EXPECT_FALSE(CheckMayReceive(RecordOf("THIRD", v1::VISIBILITY_HUB, Body::kContribution), kHub,
                               {"PEER", v1::RELATION_MEMBER_HUB})
                   .ok());
  EXPECT_FALSE(CheckMayReceive(RecordOf("PEER", v1::VISIBILITY_NETWORK, Body::kContribution), kHub,
                               {"PEER", v1::RELATION_MEMBER_HUB})
                   .ok());
  EXPECT_TRUE(MaySend(RecordOf("SELF", v1::VISIBILITY_HUB, Body::kContribution), kHub,
                      {"TOP", v1::RELATION_HUB}));
  EXPECT_FALSE(MaySend(RecordOf("SELF", v1::VISIBILITY_HUB, Body::kContribution), kChapter,
                       {"HUB", v1::RELATION_HUB}));
}

TEST(VisibilityFilterTest, ARevokedOriginsNewRecordsAreRefusedFromAnyRelay) {
  const v1::Record record = RecordOf("REVOKED", v1::VISIBILITY_NETWORK);
  const v1::Record tombstone = RecordOf("REVOKED", v1::VISIBILITY_NETWORK, Body::kStory, true);
  for (const PeerView& relay :
       {PeerView{"HUB", v1::RELATION_HUB}, PeerView{"REGIONAL", v1::RELATION_MEMBER_HUB}}) {
    const SelfView self = relay.relation == v1::RELATION_HUB ? kChapter : kHub;
    EXPECT_FALSE(CheckMayReceive(record, self, relay, {.origin_revoked = true}).ok());
    // Of what it holds, only a retraction still arrives: no new content.
    EXPECT_FALSE(
        CheckMayReceive(record, self, relay, {.origin_revoked = true, .already_held = true}).ok());
    EXPECT_TRUE(
        CheckMayReceive(tombstone, self, relay, {.origin_revoked = true, .already_held = true})
            .ok());
    EXPECT_FALSE(CheckMayReceive(tombstone, self, relay, {.origin_revoked = true}).ok());
    EXPECT_TRUE(CheckMayReceive(record, self, relay).ok());
  }
}

TEST(VisibilityFilterTest, ReceiverAcceptsExactlyWhatAnHonestSenderSends) {
  // For every combination of an honest setup (each side's view of the other matches its
  // config and enrollment, and chains follow the tree), what one side may send the other
  // may receive: one rule seen from both ends.
  struct Link {
    v1::Relation sender_sees, receiver_sees;
    bool sender_is_hub, receiver_is_hub;
  };
  const Link kLinks[] = {
      {v1::RELATION_HUB, v1::RELATION_MEMBER, false, true},      // chapter -> its hub
      {v1::RELATION_HUB, v1::RELATION_MEMBER_HUB, true, true},   // regional -> its hub
      {v1::RELATION_MEMBER, v1::RELATION_HUB, true, false},      // hub -> chapter
      {v1::RELATION_MEMBER_HUB, v1::RELATION_HUB, true, true},   // hub -> regional
      {v1::RELATION_SISTER, v1::RELATION_SISTER, false, false},  // sisters
  };
  for (const Link& link : kLinks) {
    const bool down = link.receiver_sees == v1::RELATION_HUB;
    const bool up = link.sender_sees == v1::RELATION_HUB;
    SelfView sender{"SENDER", link.sender_is_hub, {"CHAIN"}};
    SelfView receiver{"RECEIVER", link.receiver_is_hub, {"CHAIN"}};
    if (down) receiver.hub_chain = {"SENDER", "CHAIN"};
    if (up) sender.hub_chain = {"RECEIVER", "CHAIN"};
    for (v1::Visibility visibility : kVisibilities) {
      for (Body body : kBodies) {
        for (const std::string& origin :
             {std::string("SENDER"), std::string("CHAIN"), std::string("THIRD")}) {
          const v1::Record r = RecordOf(origin, visibility, body);
          const bool sent = MaySend(r, sender, {"RECEIVER", link.sender_sees});
          const bool accepted = CheckMayReceive(r, receiver, {"SENDER", link.receiver_sees}).ok();
          EXPECT_EQ(sent, accepted)
              << v1::Visibility_Name(visibility) << " body " << static_cast<int>(body) << " from "
              << origin << " over " << v1::Relation_Name(link.sender_sees) << "/"
              << v1::Relation_Name(link.receiver_sees);
        }
      }
    }
  }
}

TEST(VisibilityFilterTest, NarrowedRecordSendsItsTombstoneToTheWiderAudience) {
  record::NodeKey key = record::NodeKey::Generate();
  v1::Record full = ldgs::testing::SignedStory(key, "s", 5, "t", v1::VISIBILITY_HUB).record;
  v1::Record tomb = full;
  tomb.clear_story();
  tomb.set_deleted(true);
  tomb.set_visibility(v1::VISIBILITY_NETWORK);
  storage::StoredEntry entry;
  entry.record = full;
  entry.stored.set_signed_bytes(record::SealRecord(full, key));
  entry.stored.set_retraction(record::SealRecord(tomb, key));
  const SelfView self{key.node_id(), false, {}};

  auto to_hub = OutboundPayloads(entry, self, {"HUB", v1::RELATION_HUB});
  ASSERT_EQ(to_hub.size(), 2u);  // the body for aggregation, the tombstone to relay
  auto to_sister = OutboundPayloads(entry, self, {"SIS", v1::RELATION_SISTER});
  ASSERT_EQ(to_sister.size(), 1u);
  EXPECT_EQ(to_sister[0], entry.stored.retraction());
  EXPECT_TRUE(
      OutboundPayloads(entry, self, {"HUB", v1::RELATION_HUB}, /*peer_revoked=*/true).empty());
}

}  // namespace
}  // namespace ldgs::daemon::replication

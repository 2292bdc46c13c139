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
                                       v1::RELATION_MEMBER, v1::RELATION_SISTER};

v1::Record RecordOf(const std::string& origin, v1::Visibility visibility, bool deleted = false) {
  v1::Record r;
  r.set_origin(origin);
  r.set_id("r");
  r.set_visibility(visibility);
  r.set_deleted(deleted);
  return r;
}

const SelfView kChapter{"SELF", false};
const SelfView kHub{"SELF", true};

TEST(VisibilityFilterTest, PrivateNeverLeavesWhateverThePeer) {
  for (const SelfView& self : {kChapter, kHub}) {
    for (v1::Relation relation : kRelations) {
      for (bool peer_is_hub : {false, true}) {
        for (const std::string& origin : {std::string("SELF"), std::string("OTHER")}) {
          for (bool deleted : {false, true}) {
            PeerView peer{"PEER", relation, peer_is_hub};
            EXPECT_FALSE(MaySend(RecordOf(origin, v1::VISIBILITY_PRIVATE, deleted), self, peer));
            EXPECT_FALSE(
                MaySend(RecordOf(origin, v1::VISIBILITY_UNSPECIFIED, deleted), self, peer));
          }
        }
      }
    }
  }
}

TEST(VisibilityFilterTest, HubRecordsGoOnlyFromTheirOriginToItsHub) {
  for (const SelfView& self : {kChapter, kHub}) {
    for (v1::Relation relation : kRelations) {
      PeerView peer{"PEER", relation, true};
      EXPECT_EQ(MaySend(RecordOf("SELF", v1::VISIBILITY_HUB), self, peer),
                relation == v1::RELATION_HUB);
      // A hub never relays a member's hub-only record.
      EXPECT_FALSE(MaySend(RecordOf("OTHER", v1::VISIBILITY_HUB), self, peer));
    }
  }
}

TEST(VisibilityFilterTest, NetworkRecordsAreRelayedOnlyByHubsAlongTheTree) {
  for (v1::Visibility visibility : {v1::VISIBILITY_NETWORK, v1::VISIBILITY_PUBLIC}) {
    for (v1::Relation relation : {v1::RELATION_HUB, v1::RELATION_MEMBER, v1::RELATION_SISTER}) {
      PeerView peer{"PEER", relation, false};
      EXPECT_TRUE(MaySend(RecordOf("SELF", visibility), kChapter, peer));
      EXPECT_TRUE(MaySend(RecordOf("SELF", visibility), kHub, peer));
      EXPECT_FALSE(MaySend(RecordOf("OTHER", visibility), kChapter, peer));
      EXPECT_EQ(MaySend(RecordOf("OTHER", visibility), kHub, peer),
                relation != v1::RELATION_SISTER);
      EXPECT_FALSE(MaySend(RecordOf("PEER", visibility), kHub, peer)) << "never back to origin";
    }
    EXPECT_FALSE(MaySend(RecordOf("SELF", visibility), kHub, {"PEER", v1::RELATION_UNSPECIFIED}));
  }
}

TEST(VisibilityFilterTest, ReceiverAcceptsExactlyWhatAnHonestSenderSends) {
  // For every combination, what one side may send the other may receive: the two rules
  // are one policy seen from both ends.
  const std::map<v1::Relation, v1::Relation> mirror = {{v1::RELATION_HUB, v1::RELATION_MEMBER},
                                                       {v1::RELATION_MEMBER, v1::RELATION_HUB},
                                                       {v1::RELATION_SISTER, v1::RELATION_SISTER}};
  for (const auto& [sender_sees, receiver_sees] : mirror) {
    for (bool sender_is_hub : {false, true}) {
      if (sender_sees == v1::RELATION_SISTER && sender_is_hub) continue;
      for (v1::Visibility visibility : kVisibilities) {
        for (const std::string& origin : {std::string("SENDER"), std::string("THIRD")}) {
          v1::Record r = RecordOf(origin, visibility);
          const bool sent = MaySend(r, {"SENDER", sender_is_hub}, {"RECEIVER", sender_sees, true});
          const bool accepted =
              CheckMayReceive(r, {"RECEIVER", false}, {"SENDER", receiver_sees, sender_is_hub})
                  .ok();
          EXPECT_EQ(sent, accepted) << v1::Visibility_Name(visibility) << " from " << origin
                                    << " sender_is_hub=" << sender_is_hub
                                    << " relation=" << v1::Relation_Name(sender_sees);
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
  const SelfView self{key.node_id(), false};

  auto to_hub = OutboundPayloads(entry, self, {"HUB", v1::RELATION_HUB, true});
  ASSERT_EQ(to_hub.size(), 2u);  // the body for aggregation, the tombstone to relay
  auto to_sister = OutboundPayloads(entry, self, {"SIS", v1::RELATION_SISTER, false});
  ASSERT_EQ(to_sister.size(), 1u);
  EXPECT_EQ(to_sister[0], entry.stored.retraction());
}

}  // namespace
}  // namespace ldgs::daemon::replication

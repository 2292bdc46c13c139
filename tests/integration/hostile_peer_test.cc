// What a node does with replication input no honest ldgsd sends: every refusal has the
// right status and writes nothing.
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::NodeProcess;
using ::ldgs::testing::RawPeer;
using ::testing::HasSubstr;

v1::Record Story(const std::string& id, v1::Visibility visibility) {
  v1::Record r;
  r.set_id(id);
  r.set_version(1);
  r.set_kind(v1::KIND_STORY);
  r.set_visibility(visibility);
  r.mutable_story()->set_title("story " + id);
  return r;
}

class HostilePeerTest : public ::testing::Test {
 protected:
  HostilePeerTest() : hub_(dir_.Sub("hub"), "Hub", "hub") {
    EXPECT_TRUE(hub_.Start());
    peer_ = std::make_unique<RawPeer>(hub_.listen_address());
  }

  void EnrollPeer() {
    ASSERT_EQ(hub_.Ctl({"enroll", peer_->node_id()}).exit_code, 0);
    ASSERT_TRUE(peer_->Hello().ok());
  }

  // Pushes `records` as one batch; expects `code` and that the hub wrote nothing.
  void ExpectRefused(const std::vector<std::string>& records, grpc::StatusCode code,
                     const std::string& message_part) {
    const uint64_t before = hub_.LastSequence();
    v1::Batch batch;
    for (const std::string& r : records) batch.add_records(r);
    batch.set_up_to(records.size());
    v1::PushAck ack;
    grpc::Status status = peer_->Push(batch, &ack);
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(message_part));
    EXPECT_EQ(hub_.LastSequence(), before);
  }

  ldgs::testing::TempDir dir_;
  NodeProcess hub_;
  std::unique_ptr<RawPeer> peer_;
};

TEST_F(HostilePeerTest, HonestBatchIsAppliedAndAcknowledged) {
  EnrollPeer();
  v1::Batch batch;
  batch.add_records(peer_->SealOwn(Story("s1", v1::VISIBILITY_NETWORK)));
  batch.add_records(peer_->SealOwn(Story("s2", v1::VISIBILITY_HUB)));
  batch.set_up_to(2);
  v1::PushAck ack;
  ASSERT_TRUE(peer_->Push(batch, &ack).ok());
  EXPECT_EQ(ack.up_to(), 2u);
  v1::Record held;
  EXPECT_TRUE(hub_.Get(peer_->node_id(), "s2", &held).ok());
}

TEST_F(HostilePeerTest, UnenrolledNodeIsRefusedAtHello) {
  grpc::Status status = peer_->Hello();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("not enrolled"));
}

TEST_F(HostilePeerTest, PushWithoutAValidSessionIsUnauthenticated) {
  ASSERT_EQ(hub_.Ctl({"enroll", peer_->node_id()}).exit_code, 0);
  // No Hello: the proof is over an empty challenge the hub never issued.
  ExpectRefused({peer_->SealOwn(Story("s1", v1::VISIBILITY_NETWORK))},
                grpc::StatusCode::UNAUTHENTICATED, "session");
}

TEST_F(HostilePeerTest, ForgedSignatureIsRefusedAndNothingWritten) {
  EnrollPeer();
  v1::SignedRecord forged;
  ASSERT_TRUE(forged.ParseFromString(peer_->SealOwn(Story("s1", v1::VISIBILITY_NETWORK))));
  (*forged.mutable_signature())[5] ^= 0x40;
  // A good record first: the whole batch must be refused, not just the bad record.
  ExpectRefused({peer_->SealOwn(Story("good", v1::VISIBILITY_NETWORK)), forged.SerializeAsString()},
                grpc::StatusCode::INVALID_ARGUMENT, "does not verify");
  v1::Record held;
  EXPECT_EQ(hub_.Get(peer_->node_id(), "good", &held).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(HostilePeerTest, AnotherNodesRecordFromAChapterIsPermissionDenied) {
  EnrollPeer();
  RawPeer other(hub_.listen_address());  // a node the hub has never heard of
  ExpectRefused({other.SealOwn(Story("theirs", v1::VISIBILITY_NETWORK))},
                grpc::StatusCode::PERMISSION_DENIED, "only hubs relay");
}

TEST_F(HostilePeerTest, PrivateRecordIsPermissionDenied) {
  EnrollPeer();
  ExpectRefused({peer_->SealOwn(Story("secret", v1::VISIBILITY_PRIVATE))},
                grpc::StatusCode::PERMISSION_DENIED, "VISIBILITY_PRIVATE");
}

TEST_F(HostilePeerTest, GarbageAndOversizedBatchesAreRefused) {
  EnrollPeer();
  ExpectRefused({"\x0a\xff\xff garbage"}, grpc::StatusCode::INVALID_ARGUMENT, "parse");
  std::vector<std::string> too_many(501, peer_->SealOwn(Story("x", v1::VISIBILITY_NETWORK)));
  ExpectRefused(too_many, grpc::StatusCode::RESOURCE_EXHAUSTED, "limit");
}

TEST_F(HostilePeerTest, StreamsPerPeerAreBounded) {
  EnrollPeer();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(peer_->OpenPull().ok()) << "stream " << i;
  grpc::Status fifth = peer_->OpenPull();
  EXPECT_EQ(fifth.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(fifth.error_message(), HasSubstr("streams open"));
  EXPECT_THAT(hub_.Ctl({"peers"}).out, HasSubstr("streams open"));  // the operator sees it
}

TEST(HostilePeerRateTest, RecordsPerMinuteAreBoundedAndTheExcessWritesNothing) {
  ldgs::testing::TempDir dir;
  NodeProcess hub(dir.Sub("hub"), "Hub", "hub");
  std::ofstream(hub.data_dir() + "/ldgsd.toml", std::ios::app)
      << "\n[replication]\nmax_records_per_minute = 5\n";
  ASSERT_TRUE(hub.Start());
  RawPeer peer(hub.listen_address());
  ASSERT_EQ(hub.Ctl({"enroll", peer.node_id()}).exit_code, 0);
  ASSERT_TRUE(peer.Hello().ok());
  v1::Batch batch;
  for (int i = 0; i < 3; ++i)
    batch.add_records(peer.SealOwn(Story("s" + std::to_string(i), v1::VISIBILITY_NETWORK)));
  batch.set_up_to(3);
  v1::PushAck ack;
  ASSERT_TRUE(peer.Push(batch, &ack).ok());
  const uint64_t before = hub.LastSequence();
  batch.clear_records();
  for (int i = 3; i < 6; ++i)
    batch.add_records(peer.SealOwn(Story("s" + std::to_string(i), v1::VISIBILITY_NETWORK)));
  batch.set_up_to(6);
  grpc::Status over = peer.Push(batch, &ack);
  EXPECT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(over.error_message(), HasSubstr("records in a minute"));
  EXPECT_EQ(hub.LastSequence(), before);
}

TEST_F(HostilePeerTest, RevokedNodeIsRefused) {
  EnrollPeer();
  ASSERT_EQ(hub_.Ctl({"revoke", peer_->node_id()}).exit_code, 0);
  ExpectRefused({peer_->SealOwn(Story("s1", v1::VISIBILITY_NETWORK))},
                grpc::StatusCode::PERMISSION_DENIED, "revoked");
  EXPECT_EQ(peer_->Hello().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace ldgs

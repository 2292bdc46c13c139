// What a node does with replication input no honest ldgsd sends: a refused call has the
// right status and writes nothing; a refused record in a batch is skipped and counted, and
// the rest of the batch applies.
#include <chrono>
#include <fstream>
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"
#include "tests/support/record_helpers.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::NodeProcess;
using ::ldgs::testing::RawPeer;
using ::testing::HasSubstr;

// A story for a raw peer to seal.
v1::Record Story(const std::string& id, v1::Visibility visibility, uint64_t version = 1) {
  return ldgs::testing::UnsignedStory(id, visibility, version);
}

class HostilePeerTest : public ::testing::Test {
 protected:
  HostilePeerTest() : hub_(dir_.Sub("hub"), "Hub", "hub") {
    EXPECT_TRUE(hub_.Start());
    peer_ = std::make_unique<RawPeer>(hub_.listen_address());
  }

  void EnrollPeer() {
    ASSERT_EQ(hub_.Ctl({"enroll", peer_->node_id(), "--region", "midwest"}).exit_code, 0);
    ASSERT_TRUE(peer_->Hello().ok());
  }

  // Pushes `records` as one batch; expects it acknowledged, and the hub to have skipped
  // exactly `refused` of them (counted in `ldgsctl peers`), naming `reason`.
  void ExpectSkipped(const std::vector<std::string>& records, int refused,
                     const std::string& reason) {
    const uint64_t refused_before = RefusedCount();
    v1::Batch batch;
    for (const std::string& r : records) batch.add_records(r);
    batch.set_up_to(++pushed_);
    v1::PushAck ack;
    grpc::Status status = peer_->Push(batch, &ack);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(ack.up_to(), pushed_);
    EXPECT_EQ(RefusedCount() - refused_before, static_cast<uint64_t>(refused));
    if (refused > 0) {
      EXPECT_THAT(hub_.Ctl({"peers"}).out, HasSubstr(reason));
    }
  }

  uint64_t RefusedCount() {
    nlohmann::json peers = nlohmann::json::parse(hub_.Ctl({"-o", "json", "peers"}).out);
    for (const auto& p : peers["peers"]) {
      if (p["node_id"] == peer_->node_id() && p.contains("refused")) {
        return std::stoull(p["refused"].get<std::string>());
      }
    }
    return 0;
  }

  uint64_t pushed_ = 0;

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
  ASSERT_EQ(hub_.Ctl({"enroll", peer_->node_id(), "--region", "midwest"}).exit_code, 0);
  // No Hello: the proof is over an empty challenge the hub never issued.
  ExpectRefused({peer_->SealOwn(Story("s1", v1::VISIBILITY_NETWORK))},
                grpc::StatusCode::UNAUTHENTICATED, "session");
}

TEST_F(HostilePeerTest, AForgedRecordIsSkippedAndTheRestOfTheBatchApplies) {
  EnrollPeer();
  v1::SignedRecord forged;
  ASSERT_TRUE(forged.ParseFromString(peer_->SealOwn(Story("s1", v1::VISIBILITY_NETWORK))));
  (*forged.mutable_signature())[5] ^= 0x40;
  ExpectSkipped({peer_->SealOwn(Story("good", v1::VISIBILITY_NETWORK)), forged.SerializeAsString()},
                1, "does not verify");
  v1::Record held;
  EXPECT_TRUE(hub_.Get(peer_->node_id(), "good", &held).ok());
  EXPECT_EQ(hub_.Get(peer_->node_id(), "s1", &held).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(HostilePeerTest, AnotherNodesRecordFromAChapterIsSkipped) {
  EnrollPeer();
  RawPeer other(hub_.listen_address());  // a node the hub has never heard of
  ExpectSkipped({other.SealOwn(Story("theirs", v1::VISIBILITY_NETWORK))}, 1, "only a hub relays");
  v1::Record held;
  EXPECT_EQ(hub_.Get(other.node_id(), "theirs", &held).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(HostilePeerTest, PrivateRecordIsSkipped) {
  EnrollPeer();
  ExpectSkipped({peer_->SealOwn(Story("secret", v1::VISIBILITY_PRIVATE))}, 1, "private");
  v1::Record held;
  EXPECT_EQ(hub_.Get(peer_->node_id(), "secret", &held).error_code(), grpc::StatusCode::NOT_FOUND);
}

// A refusal quotes the start of the bad field; cut inside a character it would not be
// UTF-8, and the hub's peers view (a proto3 string) could no longer be read by ldgsctl.
TEST_F(HostilePeerTest, ARefusalQuotingTheStartOfAMultiByteTagKeepsThePeersViewReadable) {
  EnrollPeer();
  v1::Record record;
  record.set_id("cut");
  record.set_version(1);
  record.set_kind(v1::KIND_PRACTICE);
  record.set_visibility(v1::VISIBILITY_NETWORK);
  record.mutable_practice()->set_title("practice");
  // Not a valid tag (a space); 3 bytes and then two-byte characters: byte 80 falls inside one.
  std::string tag = "a b";
  for (int i = 0; i < 60; ++i) tag += "\xc3\xbc";
  record.mutable_practice()->add_tags(tag);
  ExpectSkipped({peer_->SealOwn(record)}, 1, "tags entry 'a b\xc3\xbc");
  nlohmann::json peers = nlohmann::json::parse(hub_.Ctl({"-o", "json", "peers"}).out);
  bool found = false;
  for (const auto& p : peers["peers"]) {
    if (p["node_id"] != peer_->node_id()) continue;
    found = true;
    // The quote ends before the character the limit of 80 bytes falls in.
    EXPECT_NE(p["last_refusal"].get<std::string>().find("'" + tag.substr(0, 79) + "'"),
              std::string::npos)
        << p["last_refusal"];
  }
  EXPECT_TRUE(found);
}

TEST_F(HostilePeerTest, GarbageIsSkippedAndAnOversizedBatchIsRefused) {
  EnrollPeer();
  ExpectSkipped({"\x0a\xff\xff garbage"}, 1, "parse");
  std::vector<std::string> too_many(501, peer_->SealOwn(Story("x", v1::VISIBILITY_NETWORK)));
  ExpectRefused(too_many, grpc::StatusCode::RESOURCE_EXHAUSTED, "limit");
}

// Under the count limit, over the byte limit (4 MiB of payload; the gRPC message limit is
// 8 MiB, so it is the hub's own check that refuses it): refused whole, nothing written.
TEST_F(HostilePeerTest, ABatchOverTheByteLimitIsRefusedWholeAndOneJustUnderIsApplied) {
  EnrollPeer();
  auto big_stories = [&](int n, const std::string& prefix) {
    std::vector<std::string> records;
    for (int i = 0; i < n; ++i) {
      v1::Record r = Story(prefix + std::to_string(i), v1::VISIBILITY_HUB);
      r.mutable_story()->set_body(std::string(32000, 'b'));  // each signed: about 32.2 KB
      records.push_back(peer_->SealOwn(r));
    }
    return records;
  };
  // 120 x ~32.2 KB = ~3.9 MB, under 4,194,304 bytes.
  ExpectSkipped(big_stories(120, "under-"), 0, "");
  // 150 x ~32.2 KB = ~4.8 MB, over it.
  ExpectRefused(big_stories(150, "over-"), grpc::StatusCode::RESOURCE_EXHAUSTED,
                "bytes is over the limit of 4194304");
}

TEST_F(HostilePeerTest, APeerSendingMostlyRefusedRecordsIsCutOff) {
  EnrollPeer();
  RawPeer other(hub_.listen_address());
  std::vector<std::string> records = {peer_->SealOwn(Story("own", v1::VISIBILITY_NETWORK))};
  for (int i = 0; i < 10; ++i) {
    records.push_back(other.SealOwn(Story("t" + std::to_string(i), v1::VISIBILITY_NETWORK)));
  }
  v1::Batch batch;
  for (const std::string& r : records) batch.add_records(r);
  batch.set_up_to(1);
  v1::PushAck ack;
  grpc::Status status = peer_->Push(batch, &ack);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("cut off"));
  v1::Record held;
  EXPECT_EQ(hub_.Get(other.node_id(), "t0", &held).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(hub_.Get(peer_->node_id(), "own", &held).ok());  // what it may send still applied
}

TEST_F(HostilePeerTest, APeerWhoseBatchIsMostlyGoodIsNotCutOff) {
  EnrollPeer();
  RawPeer other(hub_.listen_address());
  std::vector<std::string> records;
  for (int i = 0; i < 8; ++i) {
    records.push_back(peer_->SealOwn(Story("own" + std::to_string(i), v1::VISIBILITY_NETWORK)));
  }
  for (int i = 0; i < 8; ++i) {
    records.push_back(other.SealOwn(Story("t" + std::to_string(i), v1::VISIBILITY_NETWORK)));
  }
  ExpectSkipped(records, 8, "only a hub relays");  // 8 of 16: half, not most
  for (int i = 0; i < 8; ++i) {
    v1::Record held;
    EXPECT_TRUE(hub_.Get(peer_->node_id(), "own" + std::to_string(i), &held).ok()) << i;
  }
}

TEST_F(HostilePeerTest, AnOlderProtocolGetsAClearFailedPrecondition) {
  EnrollPeer();
  grpc::Status status = peer_->Hello(v1::ROLE_CHAPTER, /*protocol_version=*/1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("protocol version 1 is not supported"));
}

TEST_F(HostilePeerTest, StreamsPerPeerAreBounded) {
  EnrollPeer();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(peer_->OpenPull().ok()) << "stream " << i;
  grpc::Status fifth = peer_->OpenPull();
  EXPECT_EQ(fifth.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(fifth.error_message(), HasSubstr("streams open"));
  EXPECT_THAT(hub_.Ctl({"peers"}).out, HasSubstr("streams open"));  // the operator sees it
}

// The limit is a token bucket: a burst of burst_records goes through at once, then
// max_records_per_minute. Past it the hub holds the peer's batches back: nothing of them is
// written, the peer is told why in an ack, and the hub's operator sees it in `peers`.
// Refilling the 500 records the second batch needs takes 500 s at 60 a minute, so the
// hold is certain whatever the speed of the machine (the test checks less time passed).
TEST(HostilePeerRateTest, APeerOverItsBurstIsHeldBackToldWhyAndTheExcessWritesNothing) {
  constexpr int kBurst = 500;  // one full batch
  ldgs::testing::TempDir dir;
  NodeProcess hub(dir.Sub("hub"), "Hub", "hub");
  std::ofstream(hub.data_dir() + "/ldgsd.toml", std::ios::app)
      << "\n[replication]\nburst_records = " << kBurst << "\nmax_records_per_minute = 60\n";
  ASSERT_TRUE(hub.Start());
  RawPeer peer(hub.listen_address());
  ASSERT_EQ(hub.Ctl({"enroll", peer.node_id(), "--region", "midwest"}).exit_code, 0);
  ASSERT_TRUE(peer.Hello().ok());
  auto batch_of = [&peer](int first, int count, uint64_t up_to) {
    v1::Batch batch;
    for (int i = first; i < first + count; ++i) {
      batch.add_records(peer.SealOwn(Story("s" + std::to_string(i), v1::VISIBILITY_NETWORK)));
    }
    batch.set_up_to(up_to);
    return batch;
  };
  auto held_from_peer = [&hub, &peer]() {
    int held = 0;
    for (const v1::Record& r : hub.ListAll()) held += r.origin() == peer.node_id();
    return held;
  };

  const auto start = std::chrono::steady_clock::now();
  std::vector<v1::PushAck> acks;
  std::string peers_while_held;  // the hub's operator view while the stream is held
  grpc::Status ended = peer.PushPipelined(
      {batch_of(0, kBurst, 1), batch_of(kBurst, kBurst, 2), batch_of(2 * kBurst, 10, 3)},
      [&](const v1::PushAck& ack) {
        if (ack.throttled().empty()) return false;
        peers_while_held = hub.Ctl({"peers"}).out;
        return true;
      },
      &acks);
  ASSERT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(400))
      << "the bucket may have refilled: the test proves nothing";
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::CANCELLED) << ended.error_message();
  ASSERT_FALSE(acks.empty());
  EXPECT_THAT(acks.back().throttled(), HasSubstr("records a minute"));
  EXPECT_EQ(acks.back().up_to(), 1u);  // the burst applied, nothing after it
  EXPECT_EQ(held_from_peer(), kBurst);
  EXPECT_THAT(peers_while_held, HasSubstr("throttled: over 60 records a minute"));
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

// Replication between real ldgsd processes on 127.0.0.1: chapters, hubs, a hub tree and
// sister chapters. Arrival is awaited server-side (GetRecord wait); absence is checked after
// a barrier record has arrived, which the feed's order makes a proof that everything
// written before it that could arrive has.
#include <chrono>
#include <fstream>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "record/limits.h"
#include "record/signed_record.h"
#include "tests/support/federation.h"
#include "tests/support/feed_check.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"
#include "tests/support/record_helpers.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::Arrives;
using ::ldgs::testing::Federation;
using ::ldgs::testing::FeedKey;
using ::ldgs::testing::NodeProcess;
using ::ldgs::testing::RawPeer;

v1::PutRecordRequest Practice(const std::string& title, v1::Visibility visibility) {
  v1::PutRecordRequest request;
  request.mutable_body()->mutable_practice()->set_title(title);
  request.set_visibility(visibility);
  return request;
}

v1::Record Write(const NodeProcess& node, const std::string& title, v1::Visibility visibility) {
  v1::Record written;
  grpc::Status status = node.Put(Practice(title, visibility), &written);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return written;
}

bool Holds(const NodeProcess& node, const v1::Record& record) {
  v1::Record got;
  return node.Get(record.origin(), record.id(), &got).ok();
}

// Writes a network record at `writer` and waits for it at every reader.
void Barrier(const NodeProcess& writer, const std::vector<const NodeProcess*>& readers) {
  v1::Record marker = Write(writer, "barrier", v1::VISIBILITY_NETWORK);
  for (const NodeProcess* reader : readers) {
    ASSERT_TRUE(Arrives(*reader, marker));
  }
}

// No node holds another node's private record, whatever path it could have taken.
void ExpectNoForeignPrivateRecords(const std::vector<const NodeProcess*>& nodes) {
  for (const NodeProcess* node : nodes) {
    for (const v1::Record& r : node->ListAll()) {
      if (r.visibility() == v1::VISIBILITY_PRIVATE) {
        EXPECT_EQ(r.origin(), node->node_id()) << node->data_dir() << " holds " << r.id();
      }
    }
  }
}

// The SignedRecord bytes in `feed` of `wanted` (its origin, id and version); empty if none.
std::string SignedBytesOf(const std::vector<std::string>& feed, const v1::Record& wanted) {
  for (const std::string& bytes : feed) {
    absl::StatusOr<v1::Record> decoded = record::DecodeSignedRecord(bytes);
    if (decoded.ok() && decoded->origin() == wanted.origin() && decoded->id() == wanted.id() &&
        decoded->version() == wanted.version() && decoded->deleted() == wanted.deleted()) {
      return bytes;
    }
  }
  return "";
}

class HubAndChaptersTest : public ::testing::Test {
 protected:
  explicit HubAndChaptersTest(Federation::Options options = {}) : fed_(options) {
    EXPECT_TRUE(fed_.Start());
  }

  Federation fed_;
  NodeProcess& hub_ = fed_.AddHub("Midwest hub", "midwest");
  NodeProcess& a_ = fed_.AddChapter("Rockford, IL", "midwest", &hub_);
  NodeProcess& b_ = fed_.AddChapter("Ames, IA", "midwest", &hub_);
};

// The hub's stream to B sleeps through commits of records for the hub alone and moves past
// them; the network record after them must still reach B, and none of them.
TEST_F(HubAndChaptersTest, AStreamThatSleptThroughHubOnlyCommitsStillGetsTheNextNetworkRecord) {
  Barrier(a_, {&hub_, &b_});  // B's stream is caught up and waiting
  std::vector<v1::Record> hub_only;
  for (int i = 0; i < 20; ++i) {
    hub_only.push_back(Write(a_, "Hub-only note " + std::to_string(i), v1::VISIBILITY_HUB));
  }
  ASSERT_TRUE(Arrives(hub_, hub_only.back()));
  v1::Record network = Write(a_, "After the notes", v1::VISIBILITY_NETWORK);
  EXPECT_TRUE(Arrives(b_, network));
  for (const v1::Record& r : hub_only) EXPECT_FALSE(Holds(b_, r)) << r.id();
}

TEST_F(HubAndChaptersTest, EachVisibilityReachesExactlyItsAudience) {
  v1::Record network = Write(a_, "Landlord fund", v1::VISIBILITY_NETWORK);
  v1::Record open = Write(a_, "Open data portal", v1::VISIBILITY_PUBLIC);
  v1::Record hub_only = Write(a_, "Case conferencing notes", v1::VISIBILITY_HUB);
  v1::Record secret = Write(a_, "By-name list", v1::VISIBILITY_PRIVATE);

  EXPECT_TRUE(Arrives(b_, network));
  EXPECT_TRUE(Arrives(b_, open));
  EXPECT_TRUE(Arrives(hub_, hub_only));
  Barrier(a_, {&hub_, &b_});
  EXPECT_FALSE(Holds(b_, hub_only));
  EXPECT_FALSE(Holds(hub_, secret));
  EXPECT_FALSE(Holds(b_, secret));
  ExpectNoForeignPrivateRecords({&hub_, &a_, &b_});

  // Relays forward the origin's bytes, never a re-encoded copy: what the hub sends its
  // members (B takes that same stream) is byte for byte the SignedRecord that A itself serves
  // as the origin, and it verifies as A's signature over the record B holds.
  v1::Record at_b;
  ASSERT_TRUE(Arrives(b_, network, &at_b));
  std::vector<std::string> from_hub, from_origin;
  ASSERT_TRUE(ldgs::testing::PullFeedAsNewPeer(hub_, /*sister=*/false, "", "", &from_hub));
  ASSERT_TRUE(ldgs::testing::PullFeedAsNewPeer(a_, /*sister=*/true, "", "", &from_origin));
  const std::string relayed = SignedBytesOf(from_hub, network);
  const std::string signed_by_a = SignedBytesOf(from_origin, network);
  ASSERT_FALSE(relayed.empty()) << "the hub's feed does not send " << network.id();
  ASSERT_FALSE(signed_by_a.empty()) << "A's feed does not send " << network.id();
  EXPECT_EQ(relayed, signed_by_a) << "the hub relays other bytes than A signed";
  absl::StatusOr<record::OpenedRecord> opened =
      record::OpenSignedRecord(relayed, record::RecordLimits());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->record.origin(), a_.node_id());
  EXPECT_EQ(opened->record.SerializeAsString(), at_b.SerializeAsString());
  EXPECT_EQ(at_b.SerializeAsString(), network.SerializeAsString());
}

TEST_F(HubAndChaptersTest, HubRecordsFlowDownAndChaptersReportPeers) {
  v1::Record from_hub = Write(hub_, "Network-wide toolkit", v1::VISIBILITY_NETWORK);
  v1::Record hub_private = Write(hub_, "Operator notes", v1::VISIBILITY_PRIVATE);
  EXPECT_TRUE(Arrives(a_, from_hub));
  EXPECT_TRUE(Arrives(b_, from_hub));
  Barrier(hub_, {&a_, &b_});
  EXPECT_FALSE(Holds(a_, hub_private));
  EXPECT_TRUE(a_.SyncWait());
  ::ldgs::testing::CommandResult peers = hub_.Ctl({"peers"});
  EXPECT_EQ(peers.exit_code, 0);
  EXPECT_THAT(peers.out, ::testing::HasSubstr("Rockford, IL"));
  EXPECT_THAT(peers.out, ::testing::HasSubstr("Ames, IA"));
}

TEST_F(HubAndChaptersTest, NarrowingAndDeletionReachEveryCopy) {
  v1::Record shared = Write(a_, "Diversion at the front door", v1::VISIBILITY_NETWORK);
  v1::Record doomed = Write(a_, "Master leasing", v1::VISIBILITY_NETWORK);
  ASSERT_TRUE(Arrives(b_, shared));
  ASSERT_TRUE(Arrives(b_, doomed));

  // Narrow to hub: B (and the hub's relay path) get a tombstone; the hub keeps the body.
  grpc::ClientContext share_call;
  a_.Authorize(&share_call);
  v1::ShareRecordRequest share;
  share.set_id(shared.id());
  share.set_visibility(v1::VISIBILITY_HUB);
  v1::Record narrowed;
  ASSERT_TRUE(a_.AdminStub()->ShareRecord(&share_call, share, &narrowed).ok());

  grpc::ClientContext delete_call;
  a_.Authorize(&delete_call);
  v1::DeleteRecordRequest del;
  del.set_id(doomed.id());
  v1::Record deleted;
  ASSERT_TRUE(a_.AdminStub()->DeleteRecord(&delete_call, del, &deleted).ok());

  v1::Record at_b, at_hub;
  ASSERT_TRUE(Arrives(b_, narrowed, &at_b));
  EXPECT_TRUE(at_b.deleted());
  EXPECT_FALSE(at_b.has_practice());
  ASSERT_TRUE(Arrives(hub_, narrowed, &at_hub));
  EXPECT_FALSE(at_hub.deleted());
  EXPECT_EQ(at_hub.visibility(), v1::VISIBILITY_HUB);
  EXPECT_EQ(at_hub.practice().title(), "Diversion at the front door");

  for (const NodeProcess* node : {&hub_, &b_}) {
    v1::Record copy;
    ASSERT_TRUE(Arrives(*node, deleted, &copy));
    EXPECT_TRUE(copy.deleted());
    EXPECT_FALSE(copy.has_practice());
  }
}

// The same federation over mutual TLS, as deployed: for the kill and revocation tests.
class MtlsHubAndChaptersTest : public HubAndChaptersTest {
 protected:
  MtlsHubAndChaptersTest() : HubAndChaptersTest(Federation::Options{.tls = true}) {}
};

TEST_F(MtlsHubAndChaptersTest, ResumesExactlyAfterTheHubIsKilledMidStream) {
  constexpr int kRecords = 300;
  // A member chapter of the hub that lists every record the hub's feed sends it, resuming
  // each time from where it got to, across the kill: a list can hold a record twice where a
  // store keyed by (origin, id) cannot.
  RawPeer listener(hub_.listen_address());
  ASSERT_TRUE(listener.UseTls(fed_.ca_dir(), fed_.dir().Sub("listener-tls"), hub_.node_id()));
  ASSERT_EQ(hub_.Ctl({"enroll", listener.node_id(), "--region", hub_.region()}).exit_code, 0);
  std::vector<std::string> heard;
  uint64_t heard_up_to = 0;
  auto listen = [&]() -> ::testing::AssertionResult {
    grpc::Status status = listener.Hello();  // a new session: the hub may have restarted
    if (status.ok()) status = listener.PullFrom(heard_up_to, &heard, &heard_up_to);
    if (status.ok()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "listening to the hub: " << status.error_message();
  };

  std::vector<v1::Record> written;
  for (int i = 0; i < kRecords; ++i) {
    written.push_back(Write(a_, "practice " + std::to_string(i), v1::VISIBILITY_NETWORK));
    if (i == kRecords / 3) {
      ASSERT_TRUE(Arrives(b_, written[kRecords / 6]));
      ASSERT_TRUE(listen());
      hub_.Kill();  // mid-stream: A is still writing and pushing
    }
    if (i == 2 * kRecords / 3) {
      ASSERT_TRUE(hub_.Start());  // same address as before
      ASSERT_TRUE(listen());      // while A's backlog is still coming in
    }
  }
  ASSERT_TRUE(Arrives(b_, written.back()));
  EXPECT_TRUE(a_.SyncWait());
  EXPECT_TRUE(b_.SyncWait());
  ASSERT_TRUE(listen());

  // Every record exactly once in the hub's feed, across three sessions and a kill.
  const std::map<FeedKey, int> counts = ldgs::testing::CountFeed(heard);
  for (const auto& [key, times] : counts) {
    EXPECT_EQ(times, 1) << "the hub's feed sent " << std::get<1>(key) << " " << times << " times";
  }
  for (const v1::Record& r : written) {
    auto it = counts.find(FeedKey(r.origin(), r.id(), false));
    EXPECT_TRUE(it != counts.end()) << "the hub's feed never sent " << r.id();
  }
  // Every record here has one version, so each took exactly one sequence where it was
  // applied: a feed longer than the store means something was applied twice.
  for (const NodeProcess* node : {&hub_, &b_}) {
    EXPECT_EQ(node->LastSequence(), node->ListAll().size()) << node->data_dir();
  }
  // And at B, every record at the version A wrote.
  std::map<std::string, uint64_t> at_b;
  for (const v1::Record& r : b_.ListAll()) {
    if (r.origin() == a_.node_id() && r.kind() == v1::KIND_PRACTICE) at_b[r.id()] = r.version();
  }
  EXPECT_EQ(at_b.size(), static_cast<size_t>(kRecords));
  for (const v1::Record& r : written) EXPECT_EQ(at_b[r.id()], r.version()) << r.id();
}

TEST_F(MtlsHubAndChaptersTest, RevokedChapterIsCutOffAtOnce) {
  v1::Record before = Write(a_, "before revocation", v1::VISIBILITY_NETWORK);
  ASSERT_TRUE(Arrives(b_, before));
  // A's session is up at both ends: A has it, and the hub serves A's streams.
  auto connected = [](const v1::PeerStatus& p) { return p.connected(); };
  ASSERT_TRUE(a_.WaitForPeer(hub_.node_id(), connected));
  ASSERT_TRUE(hub_.WaitForPeer(a_.node_id(), connected));

  ASSERT_EQ(hub_.Ctl({"revoke", a_.node_id()}).exit_code, 0);
  v1::Record after = Write(a_, "after revocation", v1::VISIBILITY_NETWORK);
  // The open session ends at once (not at its stream deadline, 600 s, or the next dial): the
  // hub holds no stream of A's, and A saw its session end for the revocation, and stays out.
  // Well under the 600 s stream lifetime a missed cut would wait out, with room for a slow
  // machine.
  constexpr auto kAtOnce = std::chrono::seconds(60);
  EXPECT_TRUE(hub_.WaitForPeer(
      a_.node_id(), [](const v1::PeerStatus& p) { return p.revoked() && !p.connected(); },
      kAtOnce));
  EXPECT_TRUE(a_.WaitForPeer(
      hub_.node_id(),
      [](const v1::PeerStatus& p) {
        return !p.connected() && p.last_error().find("revoked") != std::string::npos;
      },
      kAtOnce));

  // The barrier came from the hub; A's later write must not have gone through. Nor was it
  // acknowledged (a stream left open would have taken it and acknowledged it, even with
  // the record refused): A still counts it as to send.
  Barrier(hub_, {&b_});
  EXPECT_FALSE(Holds(hub_, after));
  EXPECT_FALSE(Holds(b_, after));
  std::optional<v1::PeerStatus> hub_seen_by_a = a_.PeerStatusOf(hub_.node_id());
  ASSERT_TRUE(hub_seen_by_a.has_value());
  EXPECT_FALSE(hub_seen_by_a->connected());
  EXPECT_GT(hub_seen_by_a->outbound_behind(), 0u) << hub_seen_by_a->ShortDebugString();
  ::ldgs::testing::CommandResult peers = hub_.Ctl({"peers"});
  EXPECT_THAT(peers.out, ::testing::HasSubstr("revoked"));
}

TEST(HubTreeTest, NetworkRecordsCrossTheTreeAndHubRecordsStopAtTheFirstHub) {
  Federation fed;
  NodeProcess& top = fed.AddHub("National hub", "national");
  NodeProcess& midwest = fed.AddHub("Midwest hub", "midwest", &top);
  NodeProcess& south = fed.AddHub("South hub", "south", &top);
  NodeProcess& rockford = fed.AddChapter("Rockford, IL", "midwest", &midwest);
  NodeProcess& chattanooga = fed.AddChapter("Chattanooga, TN", "south", &south);
  ASSERT_TRUE(fed.Start());

  v1::Record network = Write(rockford, "Landlord fund", v1::VISIBILITY_NETWORK);
  v1::Record hub_only = Write(rockford, "Monthly counts", v1::VISIBILITY_HUB);
  v1::Record secret = Write(rockford, "By-name list", v1::VISIBILITY_PRIVATE);
  v1::Record regional = Write(midwest, "Regional rollup note", v1::VISIBILITY_NETWORK);
  v1::Record regional_hub = Write(midwest, "Regional note for national", v1::VISIBILITY_HUB);
  v1::Record national = Write(top, "National toolkit", v1::VISIBILITY_NETWORK);

  for (const NodeProcess* node : {&top, &south, &chattanooga, &midwest}) {
    EXPECT_TRUE(Arrives(*node, network));
  }
  EXPECT_TRUE(Arrives(midwest, hub_only));
  EXPECT_TRUE(Arrives(chattanooga, regional));
  EXPECT_TRUE(Arrives(top, regional_hub));
  EXPECT_TRUE(Arrives(rockford, national));
  EXPECT_TRUE(Arrives(chattanooga, national));

  Barrier(rockford, {&midwest, &top, &south, &chattanooga});
  Barrier(midwest, {&top, &south, &chattanooga, &rockford});
  for (const NodeProcess* node : {&top, &south, &chattanooga}) {
    EXPECT_FALSE(Holds(*node, hub_only)) << node->data_dir();
  }
  for (const NodeProcess* node : {&south, &chattanooga, &rockford}) {
    EXPECT_FALSE(Holds(*node, regional_hub)) << node->data_dir();
  }
  EXPECT_FALSE(Holds(midwest, secret));
  ExpectNoForeignPrivateRecords({&top, &midwest, &south, &rockford, &chattanooga});
}

TEST(SisterChaptersTest, SistersExchangeTheirOwnNetworkRecordsDirectly) {
  Federation fed;
  NodeProcess& des_moines = fed.AddChapter("Des Moines, IA", "midwest", nullptr);
  NodeProcess& ames = fed.AddChapter("Ames, IA", "midwest", nullptr);
  fed.AddSister(ames, des_moines);
  ASSERT_TRUE(fed.Start());

  v1::Record up = Write(ames, "Shared youth drop-in", v1::VISIBILITY_NETWORK);
  v1::Record down = Write(des_moines, "Shared landlord list", v1::VISIBILITY_NETWORK);
  v1::Record hub_only = Write(ames, "For our hub only", v1::VISIBILITY_HUB);
  EXPECT_TRUE(Arrives(des_moines, up));
  EXPECT_TRUE(Arrives(ames, down));
  Barrier(ames, {&des_moines});
  EXPECT_FALSE(Holds(des_moines, hub_only));
  ExpectNoForeignPrivateRecords({&ames, &des_moines});
}

// A hub sending at most 50 records a batch, a chapter at the default 500 and one taking 20:
// each session uses the smaller limit both ways, so a backlog of 300 crosses both links.
TEST(BatchLimitsTest, NodesWithUnequalBatchLimitsSyncBothWays) {
  Federation fed({.tls = true});
  NodeProcess& hub = fed.AddHub("Hub", "test-region");
  NodeProcess& writer = fed.AddChapter("Default limits", "test-region", &hub);
  NodeProcess& reader = fed.AddChapter("Small limits", "test-region", &hub);
  std::ofstream(hub.data_dir() + "/ldgsd.toml", std::ios::app)
      << "\n[replication]\nbatch_records = 50\n";
  std::ofstream(reader.data_dir() + "/ldgsd.toml", std::ios::app)
      << "\n[replication]\nbatch_records = 20\n";
  ASSERT_TRUE(fed.Start());
  EXPECT_EQ(hub.Stop(), 0);  // the backlog builds while the hub is away
  // Backlogs both ways: up from each chapter (pushed within the hub's 50, and the small
  // chapter's 20), and down to each (pulled within 50 and 20).
  constexpr int kBacklog = 300;
  v1::Record last_written, last_read;
  for (int i = 0; i < kBacklog; ++i) {
    last_written = Write(writer, "Backlog " + std::to_string(i), v1::VISIBILITY_NETWORK);
    last_read = Write(reader, "Other way " + std::to_string(i), v1::VISIBILITY_NETWORK);
  }
  ASSERT_TRUE(hub.Start());
  EXPECT_TRUE(Arrives(reader, last_written));
  EXPECT_TRUE(Arrives(writer, last_read));
  auto practices_of = [](const NodeProcess& at, const NodeProcess& origin) {
    int held = 0;
    for (const v1::Record& record : at.ListAll()) {
      held += record.origin() == origin.node_id() && record.has_practice();
    }
    return held;
  };
  EXPECT_EQ(practices_of(reader, writer), kBacklog);
  EXPECT_EQ(practices_of(writer, reader), kBacklog);
  EXPECT_EQ(practices_of(hub, writer), kBacklog);
  EXPECT_EQ(practices_of(hub, reader), kBacklog);
}

TEST(DialerIdentityTest, APeerThatIsNotTheConfiguredNodeIsNeverSynced) {
  ldgs::testing::TempDir dir;
  NodeProcess hub(dir.Sub("hub"), "Hub", "hub");
  NodeProcess impostor(dir.Sub("impostor"), "Impostor", "hub");
  NodeProcess chapter(dir.Sub("chapter"), "Chapter");
  ASSERT_TRUE(hub.Start());
  ASSERT_TRUE(impostor.Start());
  ASSERT_TRUE(impostor.Enroll(chapter));
  // The chapter expects `hub` but the address is the impostor's.
  std::ofstream(chapter.data_dir() + "/ldgsd.toml", std::ios::app)
      << "\n[[peers]]\nnode_id = \"" << hub.node_id() << "\"\naddress = \""
      << impostor.listen_address() << "\"\n";
  ASSERT_TRUE(chapter.Start());
  v1::Record shared = Write(chapter, "Not for impostors", v1::VISIBILITY_NETWORK);
  // Poll the peers view (with a deadline) until the refused dial shows up there.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string peers;
  while (peers.find("not the configured") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    peers = chapter.Ctl({"peers"}).out;
  }
  EXPECT_THAT(peers, ::testing::HasSubstr("not the configured"));
  EXPECT_EQ(chapter.Ctl({"sync"}).out.rfind("behind", 0), 0u);
  EXPECT_FALSE(Holds(impostor, shared));
}

}  // namespace
}  // namespace ldgs

// Replication between real ldgsd processes on 127.0.0.1: chapters, hubs, a hub tree and
// sister chapters. Arrival is awaited server-side (GetRecord wait); absence is checked after
// a barrier record has arrived, which the feed's order makes a proof that everything
// written before it that could arrive has.
#include <fstream>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/federation.h"
#include "tests/support/node_process.h"
#include "tests/support/record_helpers.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::Arrives;
using ::ldgs::testing::Federation;
using ::ldgs::testing::NodeProcess;

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

class HubAndChaptersTest : public ::testing::Test {
 protected:
  HubAndChaptersTest() { EXPECT_TRUE(fed_.Start()); }

  Federation fed_;
  NodeProcess& hub_ = fed_.AddHub("Midwest hub", "midwest");
  NodeProcess& a_ = fed_.AddChapter("Rockford, IL", "midwest", &hub_);
  NodeProcess& b_ = fed_.AddChapter("Ames, IA", "midwest", &hub_);
};

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

  // Relays forward the origin's bytes: the copy at B is the version A signed.
  v1::Record at_b;
  ASSERT_TRUE(Arrives(b_, network, &at_b));
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

TEST_F(HubAndChaptersTest, ResumesExactlyAfterTheHubIsKilledMidStream) {
  constexpr int kRecords = 300;
  std::vector<v1::Record> written;
  for (int i = 0; i < kRecords; ++i) {
    written.push_back(Write(a_, "practice " + std::to_string(i), v1::VISIBILITY_NETWORK));
    if (i == kRecords / 3) {
      ASSERT_TRUE(Arrives(b_, written[kRecords / 6]));
      hub_.Kill();  // mid-stream: A is still writing and pushing
    }
    if (i == 2 * kRecords / 3) {
      ASSERT_TRUE(hub_.Start());  // same address as before
    }
  }
  ASSERT_TRUE(Arrives(b_, written.back()));
  EXPECT_TRUE(a_.SyncWait());
  EXPECT_TRUE(b_.SyncWait());

  // Every record exactly once, at the version A wrote.
  std::map<std::string, uint64_t> at_b;
  for (const v1::Record& r : b_.ListAll()) {
    if (r.origin() == a_.node_id() && r.kind() == v1::KIND_PRACTICE) {
      EXPECT_TRUE(at_b.emplace(r.id(), r.version()).second) << "duplicate " << r.id();
    }
  }
  EXPECT_EQ(at_b.size(), static_cast<size_t>(kRecords));
  for (const v1::Record& r : written) EXPECT_EQ(at_b[r.id()], r.version()) << r.id();
}

TEST_F(HubAndChaptersTest, RevokedChapterIsCutOffAtOnce) {
  v1::Record before = Write(a_, "before revocation", v1::VISIBILITY_NETWORK);
  ASSERT_TRUE(Arrives(b_, before));
  ASSERT_EQ(hub_.Ctl({"revoke", a_.node_id()}).exit_code, 0);
  v1::Record after = Write(a_, "after revocation", v1::VISIBILITY_NETWORK);
  Barrier(hub_, {&b_});
  // The barrier came from the hub; A's later write must not have gone through.
  EXPECT_FALSE(Holds(hub_, after));
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

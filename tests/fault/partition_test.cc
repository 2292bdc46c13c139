// Partitions and slow links: a chapter reaches its hub through a TcpProxy that cuts or
// stalls the connection, over mutual TLS as deployed. Sync resumes and converges when the
// link heals, and a stalled link (open, silent) is noticed by keepalive, not left to hang.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/federation.h"
#include "tests/support/node_process.h"
#include "tests/support/record_helpers.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::Arrives;
using ::ldgs::testing::Federation;
using ::ldgs::testing::NodeProcess;
using ::ldgs::testing::PutStory;

bool Connected(const v1::PeerStatus& peer) { return peer.connected(); }
bool NotConnected(const v1::PeerStatus& peer) { return !peer.connected(); }

bool Holds(const NodeProcess& node, const v1::Record& record) {
  v1::Record got;
  return node.Get(record.origin(), record.id(), &got).ok();
}

// Network stories by (origin, id), at their versions.
std::map<std::pair<std::string, std::string>, uint64_t> StoryView(const NodeProcess& node) {
  std::map<std::pair<std::string, std::string>, uint64_t> records;
  for (const v1::Record& r : node.ListAll()) {
    if (r.visibility() == v1::VISIBILITY_NETWORK && r.kind() == v1::KIND_STORY) {
      records[{r.origin(), r.id()}] = r.version();
    }
  }
  return records;
}

class PartitionTest : public ::testing::Test {
 protected:
  PartitionTest() {
    EXPECT_TRUE(fed_.StartNode(hub_));
    link_ = std::make_unique<ldgs::testing::TcpProxy>(hub_.listen_address());
    fed_.DialThrough(a_, hub_, link_->address());
    EXPECT_TRUE(fed_.Start());
  }

  Federation fed_{Federation::Options{.tls = true}};
  NodeProcess& hub_ = fed_.AddHub("Hub", "test-region");
  NodeProcess& a_ = fed_.AddChapter("Behind a bad link", "test-region", &hub_);
  NodeProcess& b_ = fed_.AddChapter("Well connected", "test-region", &hub_);
  std::unique_ptr<ldgs::testing::TcpProxy> link_;
};

TEST_F(PartitionTest, SyncResumesAndConvergesAfterCutsAndStalls) {
  ldgs::testing::TcpProxy& link = *link_;
  EXPECT_TRUE(Arrives(b_, PutStory(a_, "over a working link")));

  link.Cut();
  ASSERT_TRUE(a_.WaitForPeer(hub_.node_id(), NotConnected));
  std::vector<v1::Record> during_cut;
  for (int i = 0; i < 20; ++i) during_cut.push_back(PutStory(a_, "written while cut off"));
  v1::Record from_b = PutStory(b_, "written by the other side meanwhile");
  link.Heal();
  for (const v1::Record& r : during_cut) EXPECT_TRUE(Arrives(b_, r));
  EXPECT_TRUE(Arrives(a_, from_b));

  link.Stall();  // the connection stays up but nothing moves
  std::vector<v1::Record> during_stall;
  for (int i = 0; i < 20; ++i) during_stall.push_back(PutStory(a_, "written while stalled"));
  link.Heal();
  for (const v1::Record& r : during_stall) EXPECT_TRUE(Arrives(b_, r));

  EXPECT_TRUE(a_.SyncWait());
  EXPECT_TRUE(b_.SyncWait());
  EXPECT_EQ(StoryView(a_), StoryView(b_));
  EXPECT_EQ(StoryView(a_), StoryView(hub_));
  EXPECT_EQ(StoryView(a_).size(), 1u + 20 + 1 + 20);
}

// A link that goes silent without closing (a NAT that dropped the mapping, a hung middlebox):
// TCP alone would wait for minutes, with the session still "connected". The chapter's
// keepalive pings (10 s, 5 s to answer: daemon/replication/channel.cc) find it dead, and the
// chapter dials again: after the stall ends, and through a new path while the old one is
// still silent. What it wrote meanwhile arrives.
TEST_F(PartitionTest, KeepaliveNoticesAStalledLinkAndTheChapterDialsAgain) {
  ldgs::testing::TcpProxy& link = *link_;
  EXPECT_TRUE(Arrives(b_, PutStory(a_, "over a working link")));
  ASSERT_TRUE(a_.WaitForPeer(hub_.node_id(), Connected));

  // 1. Everything stalls, new connections too. Nothing the chapter does can get through,
  // and no close reaches it either: only its own pings can tell it the link is dead.
  link.Stall();
  std::vector<v1::Record> during_stall;
  for (int i = 0; i < 10; ++i) during_stall.push_back(PutStory(a_, "written while stalled"));
  // Well before the stream deadline (600 s) or any TCP timeout: keepalive's 10 s + 5 s.
  EXPECT_TRUE(a_.WaitForPeer(hub_.node_id(), NotConnected, std::chrono::seconds(45)))
      << "the chapter still thinks a stalled link is up";
  EXPECT_FALSE(Holds(hub_, during_stall.back())) << "the stall let records through";
  link.Heal();
  // The last one first (feeds are ordered): one wait, not one per record, when none arrive.
  ASSERT_TRUE(Arrives(b_, during_stall.back()));
  for (const v1::Record& r : during_stall) EXPECT_TRUE(Arrives(b_, r));
  EXPECT_TRUE(a_.WaitForPeer(hub_.node_id(), Connected));

  // 2. Only the connection open now stalls; a new one would go through. The chapter must
  // give up on the silent one by itself and dial again, while it is still silent.
  const int accepted_before = link.accepted();
  link.StallOpen();
  std::vector<v1::Record> on_a_dead_path;
  for (int i = 0; i < 10; ++i) on_a_dead_path.push_back(PutStory(a_, "written on a dead path"));
  ASSERT_TRUE(Arrives(b_, on_a_dead_path.back()))
      << "not through a new connection while the old one is silent";
  for (const v1::Record& r : on_a_dead_path) EXPECT_TRUE(Arrives(b_, r));
  EXPECT_GT(link.accepted(), accepted_before);
  link.Heal();

  EXPECT_TRUE(a_.SyncWait());
  EXPECT_TRUE(b_.SyncWait());
  EXPECT_EQ(StoryView(a_), StoryView(b_));
  EXPECT_EQ(StoryView(a_), StoryView(hub_));
  EXPECT_EQ(StoryView(a_).size(), 1u + 10 + 10);
}

}  // namespace
}  // namespace ldgs

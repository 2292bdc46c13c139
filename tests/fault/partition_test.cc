// Partitions and slow links: a chapter reaches its hub through a TcpProxy that cuts or
// stalls the connection. Sync resumes and converges when the link heals.
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
using ::ldgs::testing::NodeProcess;
using ::ldgs::testing::PutStory;

// Polls (with a deadline) until `node`'s peers view says its hub is not connected.
bool SeesHubDown(const NodeProcess& node) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    ::ldgs::testing::CommandResult peers = node.Ctl({"-o", "json", "peers"});
    if (peers.out.find("\"connected\":true") == std::string::npos) return true;
  }
  return false;
}

TEST(PartitionTest, SyncResumesAndConvergesAfterCutsAndStalls) {
  ldgs::testing::Federation fed;
  NodeProcess& hub = fed.AddHub("Hub", "test-region");
  NodeProcess& a = fed.AddChapter("Behind a bad link", "test-region", &hub);
  NodeProcess& b = fed.AddChapter("Well connected", "test-region", &hub);
  ASSERT_TRUE(fed.StartNode(hub));
  ldgs::testing::TcpProxy link(hub.listen_address());
  fed.DialThrough(a, hub, link.address());
  ASSERT_TRUE(fed.Start());

  EXPECT_TRUE(Arrives(b, PutStory(a, "over a working link")));

  link.Cut();
  ASSERT_TRUE(SeesHubDown(a));
  std::vector<v1::Record> during_cut;
  for (int i = 0; i < 20; ++i) during_cut.push_back(PutStory(a, "written while cut off"));
  v1::Record from_b = PutStory(b, "written by the other side meanwhile");
  link.Heal();
  for (const v1::Record& r : during_cut) EXPECT_TRUE(Arrives(b, r));
  EXPECT_TRUE(Arrives(a, from_b));

  link.Stall();  // the connection stays up but nothing moves
  std::vector<v1::Record> during_stall;
  for (int i = 0; i < 20; ++i) during_stall.push_back(PutStory(a, "written while stalled"));
  link.Heal();
  for (const v1::Record& r : during_stall) EXPECT_TRUE(Arrives(b, r));

  EXPECT_TRUE(a.SyncWait());
  EXPECT_TRUE(b.SyncWait());
  auto view = [](const NodeProcess& node) {
    std::map<std::pair<std::string, std::string>, uint64_t> records;
    for (const v1::Record& r : node.ListAll()) {
      if (r.visibility() == v1::VISIBILITY_NETWORK && r.kind() == v1::KIND_STORY) {
        records[{r.origin(), r.id()}] = r.version();
      }
    }
    return records;
  };
  EXPECT_EQ(view(a), view(b));
  EXPECT_EQ(view(a), view(hub));
  EXPECT_EQ(view(a).size(), 1u + 20 + 1 + 20);
}

}  // namespace
}  // namespace ldgs

// What a chapter does with what no honest hub says: its hub is trusted by config to relay,
// never to make the chapter misreport what it has sent, or to flood its screen.
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_hub.h"
#include "tests/support/record_helpers.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::NodeProcess;
using ::ldgs::testing::PutStory;
using ::ldgs::testing::RawHub;

TEST(HostileHubTest, AnAckBeyondWhatWasSentAndALongHoldBackReasonAreBoundedAtTheChapter) {
  ldgs::testing::TempDir dir;
  ASSERT_EQ(ldgs::testing::RunCommand({ldgs::testing::LdgsctlPath(), "ca", "init", dir.Sub("ca")})
                .exit_code,
            0);
  // The hub acknowledges its first batch as if it held a trillion entries of the chapter's
  // feed, and says why it holds pushes back at length, with terminal escapes.
  RawHub hub;
  std::string reason;
  for (int i = 0; i < 500; ++i) reason += "\x1b[2J slow down " + std::to_string(i) + "; ";
  hub.ack.set_up_to(uint64_t{1} << 40);
  hub.ack.set_throttled(reason);
  hub.acks = 1;
  ASSERT_TRUE(hub.Start(dir.Sub("ca"), dir.Sub("hub-tls")));

  NodeProcess chapter(dir.Sub("chapter"), "Chapter");
  ASSERT_TRUE(chapter.UseTls(dir.Sub("ca")));
  {
    std::ofstream config(chapter.data_dir() + "/ldgsd.toml", std::ios::app);
    config << "\n[[peers]]\nnode_id = \"" << hub.node_id() << "\"\naddress = \"" << hub.address()
           << "\"\nrelation = \"hub\"\n";
  }
  ASSERT_TRUE(chapter.Start());
  PutStory(chapter, "first", v1::VISIBILITY_HUB);
  ASSERT_TRUE(hub.WaitForPushes(1)) << chapter.Ctl({"peers"}).out;
  // Its one ack is taken as covering what was sent, no more.
  v1::PeerStatus seen;
  ASSERT_TRUE(chapter.WaitForPeer(
      hub.node_id(),
      [](const v1::PeerStatus& p) { return !p.throttled().empty() && p.outbound_behind() == 0; },
      std::chrono::seconds(60), &seen));
  EXPECT_LE(seen.throttled().size(), 200u);
  EXPECT_EQ(seen.throttled(), reason.substr(0, seen.throttled().size()));

  // A record it is sent and never acknowledges is still owed to it.
  PutStory(chapter, "second", v1::VISIBILITY_HUB);
  ASSERT_TRUE(hub.WaitForPushes(2));
  std::optional<v1::PeerStatus> after = chapter.PeerStatusOf(hub.node_id());
  ASSERT_TRUE(after.has_value());
  EXPECT_GE(after->outbound_behind(), 1u) << "the chapter shows as caught up with its hub";
  EXPECT_TRUE(after->connected());

  // What the hub said reaches a terminal without its escapes.
  const ldgs::testing::CommandResult peers = chapter.Ctl({"peers"});
  EXPECT_EQ(peers.exit_code, 0) << peers.err;
  EXPECT_NE(peers.out.find("slow down 0"), std::string::npos) << peers.out;
  EXPECT_EQ(peers.out.find('\x1b'), std::string::npos) << peers.out;
}

}  // namespace
}  // namespace ldgs

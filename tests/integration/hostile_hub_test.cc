// What a chapter does with what no honest hub says: its hub is trusted by config to relay,
// never to make the chapter misreport what it has sent, or to flood its operator's screen.
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

TEST(HostileHubTest, AnAckBeyondWhatWasSentIsNotBelievedAndALongHoldBackReasonIsCut) {
  ldgs::testing::TempDir dir;
  ASSERT_EQ(ldgs::testing::RunCommand({ldgs::testing::LdgsctlPath(), "ca", "init", dir.Sub("ca")})
                .exit_code,
            0);
  // The hub acknowledges the first batch it is pushed as if it held a trillion entries of
  // the chapter's feed, says why it holds pushes back at length, with terminal escapes, and
  // never acknowledges anything again.
  // 13 bytes, then two-byte characters: byte 200 falls inside one.
  std::string reason = "\x1b[2J slower: ";
  for (int i = 0; i < 500; ++i) reason += "\xc3\xbc";  // u with diaeresis
  v1::PushAck ack;
  ack.set_up_to(uint64_t{1} << 40);
  ack.set_throttled(reason);
  RawHub hub(ack, /*acks=*/1);
  ASSERT_TRUE(hub.Start(dir.Sub("ca"), dir.Sub("hub-tls")));

  NodeProcess chapter(dir.Sub("chapter"), "Chapter");
  ASSERT_TRUE(chapter.UseTls(dir.Sub("ca")));
  chapter.DialAt(hub.node_id(), hub.address());
  ASSERT_TRUE(chapter.Start());
  // Its first batch is the whole feed (`init` wrote the profile), and the one ack is for it.
  ASSERT_TRUE(hub.WaitForPushes(1)) << chapter.Ctl({"peers"}).out;
  ASSERT_EQ(hub.PushedUpTo().front(), chapter.LastSequence());
  v1::PeerStatus seen;
  ASSERT_TRUE(chapter.WaitForPeer(
      hub.node_id(),
      [](const v1::PeerStatus& p) { return !p.throttled().empty() && p.outbound_behind() == 0; },
      std::chrono::seconds(60), &seen));
  // Cut to 200 bytes at most, and not inside a character: a proto3 string (and ldgsctl's
  // parse of the peers view) needs valid UTF-8.
  EXPECT_EQ(seen.throttled(), reason.substr(0, 199));

  // The ack covered what was sent, no more: a record sent later and never acknowledged is
  // still owed to the hub.
  PutStory(chapter, "second", v1::VISIBILITY_HUB);
  ASSERT_TRUE(hub.WaitForPushes(2));
  EXPECT_EQ(hub.PushedUpTo().size(), 2u) << "the chapter dialed again";
  std::optional<v1::PeerStatus> after = chapter.PeerStatusOf(hub.node_id());
  ASSERT_TRUE(after.has_value());
  EXPECT_GE(after->outbound_behind(), 1u) << "the chapter shows as caught up with its hub";
  EXPECT_TRUE(after->connected());

  // ldgsctl shows what the hub said without its escapes.
  const ldgs::testing::CommandResult peers = chapter.Ctl({"peers"});
  EXPECT_EQ(peers.exit_code, 0) << peers.err;
  EXPECT_NE(peers.out.find("slower: "), std::string::npos) << peers.out;
  EXPECT_EQ(peers.out.find('\x1b'), std::string::npos) << peers.out;
}

}  // namespace
}  // namespace ldgs

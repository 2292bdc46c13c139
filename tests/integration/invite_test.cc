// Enrollment by invite: a one-time code from the hub operator, redeemed by the chapter's
// own node, which then dials the hub at once. Every node runs mutual TLS with certificates of
// one federation CA, as deployed: the Join call and the sessions after it go over TLS.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/node_process.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::CommandResult;
using ::ldgs::testing::NodeProcess;
using ::testing::HasSubstr;

class InviteTest : public ::testing::Test {
 protected:
  InviteTest()
      : hub_(dir_.Sub("hub"), "Hub", "hub"),
        a_(dir_.Sub("a"), "Chapter A"),
        b_(dir_.Sub("b"), "Chapter B") {
    CommandResult ca =
        ldgs::testing::RunCommand({ldgs::testing::LdgsctlPath(), "ca", "init", dir_.Sub("ca")});
    EXPECT_EQ(ca.exit_code, 0) << ca.err;
    for (NodeProcess* node : {&hub_, &a_, &b_}) {
      EXPECT_TRUE(node->UseTls(dir_.Sub("ca")));
      EXPECT_TRUE(node->Start());
    }
  }

  std::string Invite() {
    CommandResult code = hub_.Ctl({"invite", "--region", "midwest", "--note", "a new chapter"});
    EXPECT_EQ(code.exit_code, 0) << code.err;
    return code.out.substr(0, code.out.find('\n'));
  }

  ldgs::testing::TempDir dir_;
  NodeProcess hub_, a_, b_;
};

TEST_F(InviteTest, AChapterJoinsWithAnInviteAndSyncsAtOnce) {
  const std::string code = Invite();
  EXPECT_EQ(code.rfind("ldgs1:" + hub_.node_id() + ":", 0), 0u) << code;
  CommandResult joined = a_.Ctl({"join", code, hub_.listen_address()});
  ASSERT_EQ(joined.exit_code, 0) << joined.err;
  v1::PutRecordRequest request;
  request.set_visibility(v1::VISIBILITY_NETWORK);
  request.mutable_body()->mutable_story()->set_title("first story after joining");
  v1::Record written, held;
  ASSERT_TRUE(a_.Put(request, &written).ok());
  EXPECT_TRUE(hub_.Get(a_.node_id(), written.id(), &held, 30000).ok());
  EXPECT_THAT(hub_.Ctl({"peers"}).out, HasSubstr("Chapter A"));
  // The hub is in the chapter's config: it dials it again after a restart.
  EXPECT_EQ(a_.Stop(), 0);
  ASSERT_TRUE(a_.Start());
  EXPECT_TRUE(a_.SyncWait());
}

TEST_F(InviteTest, AnInviteWorksOnceAndBadCodesAreRefused) {
  const std::string code = Invite();
  ASSERT_EQ(a_.Ctl({"join", code, hub_.listen_address()}).exit_code, 0);
  CommandResult again = b_.Ctl({"join", code, hub_.listen_address()});
  EXPECT_EQ(again.exit_code, 5);
  EXPECT_THAT(again.err, HasSubstr("used already"));
  CommandResult garbage = b_.Ctl({"join", "ldgs1:nonsense", hub_.listen_address()});
  EXPECT_EQ(garbage.exit_code, 2);
  std::string forged = code;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  CommandResult unknown = b_.Ctl({"join", forged, hub_.listen_address()});
  EXPECT_EQ(unknown.exit_code, 5) << unknown.err;
  EXPECT_THAT(hub_.Ctl({"peers"}).out, ::testing::Not(HasSubstr("Chapter B")));
}

TEST_F(InviteTest, ARevokedNodeCannotComeBackWithANewInvite) {
  ASSERT_EQ(a_.Ctl({"join", Invite(), hub_.listen_address()}).exit_code, 0);
  ASSERT_EQ(hub_.Ctl({"revoke", a_.node_id()}).exit_code, 0);
  CommandResult again = a_.Ctl({"join", Invite(), hub_.listen_address()});
  EXPECT_EQ(again.exit_code, 5);
  EXPECT_THAT(again.err, HasSubstr("revoked"));
}

}  // namespace
}  // namespace ldgs

// Backup while running, restore, and a restored node that must not reuse versions its
// peers have already seen: it learns them at Hello, moves its clock past them and fetches
// its own newer records back, so nothing forks.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/federation.h"
#include "tests/support/node_process.h"
#include "tests/support/record_helpers.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::CommandResult;
using ::ldgs::testing::NodeProcess;

// Arrived, and at exactly the written version.
::testing::AssertionResult Holds(const NodeProcess& node, const v1::Record& record) {
  v1::Record held;
  if (::testing::AssertionResult arrived = ldgs::testing::Arrives(node, record, &held); !arrived) {
    return arrived;
  }
  if (held.version() != record.version()) {
    return ::testing::AssertionFailure()
           << "holds version " << held.version() << ", not " << record.version();
  }
  return ::testing::AssertionSuccess();
}

TEST(BackupTest, RestoredNodeRecoversItsNewerRecordsAndNeverReusesAVersion) {
  ldgs::testing::Federation fed;
  const ldgs::testing::TempDir& dir = fed.dir();
  NodeProcess& hub = fed.AddHub("Hub", "test-region");
  NodeProcess& a = fed.AddChapter("Chapter A", "test-region", &hub);
  NodeProcess& b = fed.AddChapter("Chapter B", "test-region", &hub);
  ASSERT_TRUE(fed.Start());

  v1::Record first =
      ldgs::testing::PutStory(a, "before the backup", v1::VISIBILITY_NETWORK, "first");
  ASSERT_TRUE(Holds(b, first));
  CommandResult backup = a.Ctl({"backup", dir.Sub("a-backup")});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_EQ(a.Ctl({"backup", dir.Sub("a-backup")}).exit_code, 1);  // never over an old one

  // After the backup: a new record and a new version of the first, seen by everyone.
  v1::Record second =
      ldgs::testing::PutStory(a, "after the backup", v1::VISIBILITY_NETWORK, "second");
  v1::Record first_v2 =
      ldgs::testing::PutStory(a, "edited after the backup", v1::VISIBILITY_NETWORK, "first");
  ASSERT_TRUE(Holds(b, second));
  ASSERT_TRUE(Holds(b, first_v2));
  EXPECT_EQ(a.Stop(), 0);

  // The machine is lost; the chapter comes back from its backup.
  CommandResult restore =
      ldgs::testing::RunCommand({ldgs::testing::LdgsdPath(), "restore", "--from",
                                 dir.Sub("a-backup"), "--data", dir.Sub("a-restored")});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_EQ(restore.out, a.node_id() + "\n");
  NodeProcess restored(dir.Sub("a-restored"), NodeProcess::Existing{a.node_id()});
  ASSERT_TRUE(restored.Start());

  // It gets back what it wrote after the backup...
  EXPECT_TRUE(Holds(restored, second));
  EXPECT_TRUE(Holds(restored, first_v2));
  // ...and its next version is above everything it issued before: no fork anywhere.
  v1::Record first_v3 = ldgs::testing::PutStory(restored, "edited after the restore",
                                                v1::VISIBILITY_NETWORK, "first");
  EXPECT_GT(first_v3.version(), first_v2.version());
  v1::Record third = ldgs::testing::PutStory(restored, "written after the restore",
                                             v1::VISIBILITY_NETWORK, "third");
  EXPECT_TRUE(Holds(b, first_v3));
  EXPECT_TRUE(Holds(b, third));
  EXPECT_TRUE(restored.SyncWait());
  for (const NodeProcess* node : {&hub, &b}) {
    CommandResult peers = node->Ctl({"-o", "json", "peers"});
    EXPECT_THAT(peers.out, ::testing::Not(::testing::HasSubstr("\"forks\"")))
        << node->data_dir() << ": " << peers.out;
  }
}

// The members' checkpoints in a restored hub's feed point past its end: without the feed
// epoch, a member that had pulled further misses what the hub takes in after the restore
// (until the numbering catches up), and the hub never gets back its own records written
// after the backup, which only its members hold.
TEST(BackupTest, RestoredHubStarvesNoMemberAndGetsItsOwnRecordsBack) {
  ldgs::testing::Federation fed({.tls = true});
  const ldgs::testing::TempDir& dir = fed.dir();
  NodeProcess& hub = fed.AddHub("Hub", "test-region");
  NodeProcess& a = fed.AddChapter("Chapter A", "test-region", &hub);
  NodeProcess& b = fed.AddChapter("Chapter B", "test-region", &hub);
  ASSERT_TRUE(fed.Start());
  ASSERT_TRUE(Holds(b, ldgs::testing::PutStory(a, "before", v1::VISIBILITY_NETWORK, "before")));
  CommandResult backup = hub.Ctl({"backup", dir.Sub("hub-backup")});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;

  // After the backup, 30 versions of one record move B's checkpoint 30 entries into the
  // hub's feed; A's own feed keeps only the newest, so a re-push refills just one.
  v1::Record edited;
  for (int i = 0; i < 30; ++i) {
    edited =
        ldgs::testing::PutStory(a, "edit " + std::to_string(i), v1::VISIBILITY_NETWORK, "edited");
  }
  v1::Record hubs_own = ldgs::testing::PutStory(hub, "the hub's", v1::VISIBILITY_NETWORK, "news");
  ASSERT_TRUE(Holds(b, edited));
  ASSERT_TRUE(Holds(b, hubs_own));
  ASSERT_TRUE(Holds(a, hubs_own));
  const std::string hub_address = hub.listen_address();
  EXPECT_EQ(hub.Stop(), 0);

  CommandResult restore =
      ldgs::testing::RunCommand({ldgs::testing::LdgsdPath(), "restore", "--from",
                                 dir.Sub("hub-backup"), "--data", dir.Sub("hub-restored")});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  NodeProcess restored(dir.Sub("hub-restored"),
                       NodeProcess::Existing{hub.node_id(), hub_address, /*tls=*/true});
  ASSERT_TRUE(restored.Start());

  // A record written after the restore reaches B, and the hub has its own record back.
  v1::Record after = ldgs::testing::PutStory(a, "after", v1::VISIBILITY_NETWORK, "after");
  EXPECT_TRUE(Holds(b, after));
  EXPECT_TRUE(Holds(restored, hubs_own));
  EXPECT_TRUE(Holds(restored, edited));
  v1::Record hubs_next =
      ldgs::testing::PutStory(restored, "the hub's, later", v1::VISIBILITY_NETWORK, "news2");
  EXPECT_TRUE(Holds(b, hubs_next));
  EXPECT_TRUE(Holds(a, hubs_next));
  // Both members are caught up with the restored hub, by its own account and theirs.
  EXPECT_TRUE(a.SyncWait());
  EXPECT_TRUE(b.SyncWait());
}

TEST(BackupTest, BackupNeedsAnAbsentDirAndRestoreAnActualBackup) {
  ldgs::testing::TempDir dir;
  NodeProcess a(dir.Sub("a"), "Chapter A");
  ASSERT_TRUE(a.Start());
  EXPECT_EQ(a.Ctl({"backup", dir.Sub("a")}).exit_code, 1);  // exists
  CommandResult restore = ldgs::testing::RunCommand(
      {ldgs::testing::LdgsdPath(), "restore", "--from", dir.path(), "--data", dir.Sub("x")});
  EXPECT_EQ(restore.exit_code, 1);
  EXPECT_THAT(restore.err, ::testing::HasSubstr("not an ldgs backup"));
}

}  // namespace
}  // namespace ldgs

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

// A node whose data dir was made by the schema-1 build starts on today's ldgsd and serves
// what it held (the storage migration itself: tests/unit/storage/schema_migration_test.cc).
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/node_process.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::NodeProcess;
using ::testing::HasSubstr;

std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST(UpgradeTest, HubMadeBySchemaOneStartsAndServesItsRecordsAndEnrollments) {
  ldgs::testing::TempDir dir;
  ldgs::testing::CommandResult untar = ldgs::testing::RunCommand(
      {"/bin/tar", "-xzf", std::string(LDGS_TEST_DATA_DIR) + "/schema_v1.tar.gz", "-C",
       dir.path()});
  ASSERT_EQ(untar.exit_code, 0) << untar.err;
  const std::string chapter_id = ReadLine(dir.Sub("chapter.id"));
  // The fixture's config names the data dir it was made in; flags override it.
  NodeProcess hub(dir.Sub("hub"), NodeProcess::Existing{ReadLine(dir.Sub("hub.id"))});
  ASSERT_TRUE(hub.Start());
  ldgs::testing::CommandResult peers = hub.Ctl({"peers"});
  EXPECT_EQ(peers.exit_code, 0) << peers.err;
  EXPECT_THAT(peers.out, HasSubstr("Fixture chapter"));
  EXPECT_THAT(peers.out, HasSubstr("Fixture joiner"));
  ldgs::testing::CommandResult practice =
      hub.Ctl({"get", "practice-fixture", "--origin", chapter_id});
  EXPECT_EQ(practice.exit_code, 0) << practice.err;
  EXPECT_THAT(practice.out, HasSubstr("Fixture practice"));
  EXPECT_EQ(hub.Stop(), 0);
}

}  // namespace
}  // namespace ldgs

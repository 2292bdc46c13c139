// Disk full: on a small tmpfs of its own, a node refuses writes with a clear error while
// space is short, keeps serving reads, and takes writes again once space returns.
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/node_process.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::CommandResult;
using ::ldgs::testing::NodeProcess;
using ::testing::HasSubstr;

constexpr uint64_t kMiB = 1024 * 1024;

uint64_t FreeBytes(const std::string& path) {
  struct statvfs fs;
  return statvfs(path.c_str(), &fs) == 0 ? static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize : 0;
}

// A tmpfs mounted for the test, unmounted after it.
class SmallDisk {
 public:
  explicit SmallDisk(const std::string& path) : path_(path) {
    std::filesystem::create_directories(path);
    mounted_ = mount("tmpfs", path.c_str(), "tmpfs", 0, "size=48m") == 0;
  }
  ~SmallDisk() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

TEST(DiskFullTest, WritesAreRefusedWhileSpaceIsShortAndResumeWhenItReturns) {
  ldgs::testing::TempDir dir;
  SmallDisk disk(dir.Sub("disk"));
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root (CAP_SYS_ADMIN)";
  {
    NodeProcess node(dir.Sub("disk/node"), "On a small disk");
    std::ofstream(node.data_dir() + "/ldgsd.toml", std::ios::app)
        << "\n[limits]\nmin_free_disk_bytes = " << 16 * kMiB << "\n";
    ASSERT_TRUE(node.Start());
    ASSERT_EQ(node.Ctl({"put", "story", "--id", "before", "--title", "before"}).exit_code, 0);

    // Leave 8 MiB: under the node's 16 MiB minimum, but room for RocksDB itself.
    const std::string filler = dir.Sub("disk/filler");
    {
      std::ofstream out(filler, std::ios::binary);
      const std::string chunk(kMiB, 'x');
      while (FreeBytes(dir.Sub("disk")) > 8 * kMiB + kMiB) out.write(chunk.data(), chunk.size());
    }
    ASSERT_LT(FreeBytes(dir.Sub("disk")), 16 * kMiB);
    const uint64_t before = node.LastSequence();
    CommandResult refused = node.Ctl({"put", "story", "--id", "during", "--title", "during"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_THAT(refused.err, HasSubstr("disk full"));
    EXPECT_EQ(node.LastSequence(), before);  // nothing written
    CommandResult read = node.Ctl({"get", "before"});
    EXPECT_EQ(read.exit_code, 0) << read.err;  // reads still served
    // Node state may use half the reserve: the operator can still enroll and revoke (say,
    // the member filling the disk).
    NodeProcess member(dir.Sub("member"), "Member");
    EXPECT_TRUE(node.Enroll(member));
    CommandResult revoked = node.Ctl({"revoke", member.node_id()});
    EXPECT_EQ(revoked.exit_code, 0) << revoked.err;

    std::filesystem::remove(filler);
    CommandResult resumed = node.Ctl({"put", "story", "--id", "after", "--title", "after"});
    EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_EQ(node.Stop(), 0);
    ASSERT_TRUE(node.Start());
    EXPECT_EQ(node.Ctl({"get", "before"}).exit_code, 0);
    EXPECT_EQ(node.Ctl({"get", "after"}).exit_code, 0);
    EXPECT_EQ(node.Ctl({"get", "during"}).exit_code, 4);
  }
}

// Every logical change goes through the one guarded write path, node state too: on a disk
// with no byte left, enrolling, inviting and revoking are refused with a clear error, never
// left to RocksDB (whose ENOSPC on a synced WAL write aborts the process).
TEST(DiskFullTest, NodeStateWritesOnAFullDiskAreRefusedAndTheNodeRunsOn) {
  ldgs::testing::TempDir dir;
  SmallDisk disk(dir.Sub("disk"));
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root (CAP_SYS_ADMIN)";
  // The data dir is the mount itself, so that its log (DATA_DIR.log) is off the full disk.
  NodeProcess node(dir.Sub("disk"), "On a full disk");
  ASSERT_TRUE(node.Start());
  NodeProcess member(dir.Sub("member"), "Member");
  ASSERT_TRUE(node.Enroll(member));

  const std::string filler = dir.Sub("disk/filler");
  {
    std::ofstream out(filler, std::ios::binary);
    const std::string chunk(64 * 1024, 'x');
    while (out.write(chunk.data(), chunk.size()) && FreeBytes(dir.Sub("disk")) > 0) {
    }
  }
  ASSERT_LT(FreeBytes(dir.Sub("disk")), 64 * 1024u);
  NodeProcess other(dir.Sub("other"), "Other");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"enroll", other.node_id(), "--region", "r"},
        std::vector<std::string>{"invite", "--region", "r"},
        std::vector<std::string>{"revoke", member.node_id()}}) {
    CommandResult refused = node.Ctl(args);
    EXPECT_EQ(refused.exit_code, 1) << args[0] << ": " << refused.out << refused.err;
    EXPECT_THAT(refused.err, HasSubstr("disk full")) << args[0];
  }
  CommandResult status = node.Ctl({"status"});
  auto log = [&] {
    std::ifstream in(node.log_path());
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  ASSERT_EQ(status.exit_code, 0) << status.err << log();  // still running

  std::filesystem::remove(filler);
  EXPECT_TRUE(node.Enroll(other)) << log();
  EXPECT_EQ(node.Stop(), 0) << log();
  ASSERT_TRUE(node.Start());
  // The refused revocation left the member as it was.
  std::optional<v1::PeerStatus> still = node.PeerStatusOf(member.node_id());
  ASSERT_TRUE(still.has_value());
  EXPECT_FALSE(still->revoked());
  EXPECT_TRUE(node.PeerStatusOf(other.node_id()).has_value());
}

}  // namespace
}  // namespace ldgs

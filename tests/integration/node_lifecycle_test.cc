// One node per port, socket and data dir; a node survives SIGHUP; ldgsctl tells a stopped
// node from the address files a killed one left. Real ldgsd processes on 127.0.0.1.
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/node_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::Child;
using ::ldgs::testing::CommandResult;
using ::ldgs::testing::NodeProcess;
using ::testing::HasSubstr;

constexpr auto kExitDeadline = std::chrono::seconds(30);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// `ldgsd run` of `data_dir` with `flags`; its exit code once it exits, nullopt if it is
// still running at the deadline (then it is killed). stderr goes to `log`.
std::optional<int> RunUntilExit(const std::string& data_dir, const std::vector<std::string>& flags,
                                const std::string& log) {
  std::vector<std::string> argv = {ldgs::testing::LdgsdPath(), "run", "--data", data_dir,
                                   "--insecure"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  Child child(argv, log);
  const auto deadline = std::chrono::steady_clock::now() + kExitDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::optional<int> code = child.Poll()) return code;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval, not a wait
  }
  return std::nullopt;
}

// The last line ldgsd printed: its one-line reason for not starting.
std::string LastLine(const std::string& path) {
  std::string text = ReadFile(path);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.substr(text.rfind('\n') + 1);
}

class NodeLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(first_.Start()); }

  // The first node still serves its own operator.
  void ExpectFirstStillServes() {
    CommandResult status = first_.Ctl({"status"});
    EXPECT_EQ(status.exit_code, 0) << status.err;
    EXPECT_THAT(status.out, HasSubstr(first_.node_id()));
  }

  ldgs::testing::TempDir dir_;
  NodeProcess first_{dir_.Sub("first"), "First"};
  NodeProcess second_{dir_.Sub("second"), "Second"};
};

TEST_F(NodeLifecycleTest, ASecondNodeOnATakenReplicationPortFailsToStart) {
  const std::string log = dir_.Sub("second.log");
  std::optional<int> code = RunUntilExit(second_.data_dir(),
                                         {"--listen", first_.listen_address(), "--admin-listen",
                                          "127.0.0.1:0", "--http-listen", "off"},
                                         log);
  ASSERT_TRUE(code.has_value()) << "a second ldgsd runs on " << first_.listen_address();
  EXPECT_EQ(*code, 1);
  EXPECT_EQ(LastLine(log), "ldgsd: cannot listen on " + first_.listen_address() +
                               ": the address is in use or not available here");
  ExpectFirstStillServes();
}

TEST_F(NodeLifecycleTest, ASecondNodeOnATakenAdminPortFailsToStart) {
  const std::string log = dir_.Sub("second.log");
  std::optional<int> code = RunUntilExit(
      second_.data_dir(),
      {"--listen", "127.0.0.1:0", "--admin-listen", first_.admin_address(), "--http-listen", "off"},
      log);
  ASSERT_TRUE(code.has_value()) << "a second ldgsd runs on " << first_.admin_address();
  EXPECT_EQ(*code, 1);
  EXPECT_THAT(LastLine(log), HasSubstr("cannot listen on " + first_.admin_address()));
  ExpectFirstStillServes();
}

TEST_F(NodeLifecycleTest, ASecondNodeOnTheSameDataDirFailsAndLeavesTheFirstsFilesAlone) {
  const std::string log = dir_.Sub("again.log");
  std::optional<int> code = RunUntilExit(
      first_.data_dir(),
      {"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--http-listen", "off"}, log);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_THAT(LastLine(log), HasSubstr("is in use by another ldgsd (pid "));
  ExpectFirstStillServes();  // its admin.addr is still there
}

TEST_F(NodeLifecycleTest, ALiveAdminSocketIsRefusedAndAStaleOneTakenOver) {
  const std::string socket = "unix:" + dir_.Sub("admin.sock");
  Child owner({ldgs::testing::LdgsdPath(), "run", "--data", second_.data_dir(), "--insecure",
               "--listen", "127.0.0.1:0", "--admin-listen", socket, "--http-listen", "off"},
              dir_.Sub("owner.log"));
  const auto deadline = std::chrono::steady_clock::now() + kExitDeadline;
  while (!std::filesystem::exists(second_.data_dir() + "/admin.addr") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval, not a wait
  }
  ASSERT_EQ(ReadFile(second_.data_dir() + "/admin.addr"), socket + "\n");

  NodeProcess third(dir_.Sub("third"), "Third");
  const std::string log = dir_.Sub("third.log");
  std::optional<int> code = RunUntilExit(
      third.data_dir(),
      {"--listen", "127.0.0.1:0", "--admin-listen", socket, "--http-listen", "off"}, log);
  ASSERT_TRUE(code.has_value()) << "a second ldgsd took over " << socket;
  EXPECT_EQ(*code, 1);
  EXPECT_EQ(LastLine(log), "ldgsd: cannot listen on " + socket + ": another process is serving it");
  CommandResult status = ldgs::testing::RunCommand(
      {ldgs::testing::LdgsctlPath(), "--data", second_.data_dir(), "status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr(second_.node_id()));

  // Killed, the owner leaves its socket file behind: nothing listens, so it may be reused.
  owner.Signal(SIGKILL);
  owner.Wait();
  ASSERT_TRUE(std::filesystem::exists(dir_.Sub("admin.sock")));
  Child heir({ldgs::testing::LdgsdPath(), "run", "--data", third.data_dir(), "--insecure",
              "--listen", "127.0.0.1:0", "--admin-listen", socket, "--http-listen", "off"},
             dir_.Sub("heir.log"));
  const auto heir_deadline = std::chrono::steady_clock::now() + kExitDeadline;
  while (!std::filesystem::exists(third.data_dir() + "/admin.addr") &&
         std::chrono::steady_clock::now() < heir_deadline && !heir.Poll()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval, not a wait
  }
  CommandResult heir_status = ldgs::testing::RunCommand(
      {ldgs::testing::LdgsctlPath(), "--data", third.data_dir(), "status"});
  EXPECT_EQ(heir_status.exit_code, 0) << heir_status.err << ReadFile(dir_.Sub("heir.log"));
  EXPECT_THAT(heir_status.out, HasSubstr(third.node_id()));
}

TEST_F(NodeLifecycleTest, SighupIsLoggedAndTheNodeRunsOn) {
  first_.Signal(SIGHUP);
  // Wait for the log line (with a deadline), then check the node still serves.
  const auto deadline = std::chrono::steady_clock::now() + kExitDeadline;
  while (ReadFile(first_.log_path()).find("SIGHUP") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval, not a wait
  }
  EXPECT_THAT(ReadFile(first_.log_path()), HasSubstr("received SIGHUP"));
  ExpectFirstStillServes();
  EXPECT_TRUE(std::filesystem::exists(first_.data_dir() + "/admin.addr"));
  EXPECT_EQ(first_.Stop(), 0);
  EXPECT_FALSE(std::filesystem::exists(first_.data_dir() + "/admin.addr"));
}

TEST_F(NodeLifecycleTest, AKilledNodesAddressFilesDoNotMisleadLdgsctl) {
  first_.Kill();
  ASSERT_TRUE(std::filesystem::exists(first_.data_dir() + "/admin.addr"));
  CommandResult status = first_.Ctl({"status"});
  EXPECT_EQ(status.exit_code, 3);
  EXPECT_THAT(status.err, HasSubstr("ldgsctl: no node running on " + first_.data_dir()));
  EXPECT_EQ(std::count(status.err.begin(), status.err.end(), '\n'), 1) << status.err;
}

// A typo in a section is what a new operator makes: `ldgsd check-config` and `ldgsd run`
// both refuse it in one line naming the file and line, and pass the file once it is fixed.
TEST(CheckConfigTest, ATypoIsRefusedWithItsLineByCheckConfigAndRunAndAFixedFilePasses) {
  ldgs::testing::TempDir dir;
  NodeProcess hub(dir.Sub("hub"), "Hub", "hub");
  const std::string path = hub.data_dir() + "/ldgsd.toml";
  const std::string written = ReadFile(path);
  auto write = [&](const std::string& hub_section) {
    std::ofstream(path, std::ios::trunc) << "insecure = true\n" << written << hub_section;
  };
  write("[hub]\nmin_reportng = 50\n");
  const std::string text = ReadFile(path);
  const size_t line = std::count(text.begin(), text.begin() + text.find("min_reportng"), '\n') + 1;
  const std::string expected = "ldgsd: " + path + ":" + std::to_string(line) +
                               ": [hub] unknown key 'min_reportng' (did you mean "
                               "'min_reporting'?)\n";

  CommandResult checked =
      ldgs::testing::RunCommand({ldgs::testing::LdgsdPath(), "check-config", "--config", path});
  EXPECT_EQ(checked.exit_code, 1);
  EXPECT_EQ(checked.err, expected);
  EXPECT_EQ(checked.out, "");
  const std::string log = dir.Sub("run.log");
  EXPECT_EQ(RunUntilExit(hub.data_dir(), {}, log), std::optional<int>(1));
  EXPECT_EQ(LastLine(log) + "\n", expected);

  write("[hub]\nmin_reporting = 50\n");
  checked = ldgs::testing::RunCommand(
      {ldgs::testing::LdgsdPath(), "check-config", "--data", hub.data_dir()});
  EXPECT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_THAT(checked.out, HasSubstr("ok: a hub"));
}

}  // namespace
}  // namespace ldgs

#include "common/data_dir_lock.h"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace ldgs {
namespace {

class DataDirLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ldgs-lock-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs `body` in a child process (record locks belong to a process) and returns its
  // exit code.
  template <typename Body>
  int InChild(Body body) {
    const pid_t pid = fork();
    if (pid == 0) _exit(body());
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string dir_;
};

TEST_F(DataDirLockTest, WithoutALockFileTheHolderIsUnknown) {
  absl::StatusOr<pid_t> holder = DataDirLock::Holder(dir_);
  ASSERT_TRUE(holder.ok()) << holder.status();
  EXPECT_EQ(*holder, -1);  // a node from before the lock may be running
}

TEST_F(DataDirLockTest, AnotherProcessCannotTakeItAndSeesWhoHoldsIt) {
  absl::StatusOr<std::unique_ptr<DataDirLock>> lock = DataDirLock::Acquire(dir_);
  ASSERT_TRUE(lock.ok()) << lock.status();
  const pid_t self = getpid();
  EXPECT_EQ(InChild([&] {
              absl::StatusOr<std::unique_ptr<DataDirLock>> second = DataDirLock::Acquire(dir_);
              if (second.ok()) return 1;
              const std::string expected = "(pid " + std::to_string(self) + ")";
              if (std::string(second.status().message()).find(expected) == std::string::npos) {
                return 2;
              }
              absl::StatusOr<pid_t> holder = DataDirLock::Holder(dir_);
              return holder.ok() && *holder == self ? 0 : 3;
            }),
            0);
}

TEST_F(DataDirLockTest, ReleasedWhenTheHolderEndsHoweverItEnds) {
  // A child takes the lock and is killed with SIGKILL, cleaning nothing up.
  EXPECT_EQ(InChild([&] {
              absl::StatusOr<std::unique_ptr<DataDirLock>> lock = DataDirLock::Acquire(dir_);
              if (!lock.ok()) return 1;
              raise(SIGKILL);
              return 2;
            }),
            -1);  // killed by the signal
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/ldgsd.lock"));
  absl::StatusOr<pid_t> holder = DataDirLock::Holder(dir_);
  ASSERT_TRUE(holder.ok());
  EXPECT_EQ(*holder, 0);
  EXPECT_TRUE(DataDirLock::Acquire(dir_).ok());
}

}  // namespace
}  // namespace ldgs

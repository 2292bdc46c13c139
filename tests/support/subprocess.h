#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ldgs::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs a program to completion with `input` on stdin; collects stdout and stderr.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& input = "");

// A child process with stdout piped to the test (for line-by-line reading) and stderr sent
// to `stderr_path`. Killed with SIGKILL on destruction if still running.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& stderr_path);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Reads one line of stdout; false on EOF or when `deadline` passes first.
  bool ReadLine(std::string* line, std::chrono::steady_clock::time_point deadline);
  void Signal(int signal);
  // Waits for exit; returns the exit code, or -signal when killed by a signal.
  int Wait();
  // Without blocking: the exit code (as Wait) once the child has exited, nullopt before.
  std::optional<int> Poll();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace ldgs::testing

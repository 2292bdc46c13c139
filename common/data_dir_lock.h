#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace ldgs {

// The lock a running ldgsd holds on its data dir: a POSIX record lock on DIR/ldgsd.lock,
// released by the kernel when the process ends however it ends. One node per data dir, and
// a way for ldgsctl to tell a live node from the address files a killed one left behind.
class DataDirLock {
 public:
  // FAILED_PRECONDITION, naming the holder's pid, when another process holds it.
  static absl::StatusOr<std::unique_ptr<DataDirLock>> Acquire(const std::string& data_dir);
  // The pid that holds the lock on `data_dir`; 0 when the lock file exists and no process
  // holds it (a node ran and is gone); -1 when it cannot tell (no lock file, or a holder in
  // another pid namespace). Takes no lock.
  static absl::StatusOr<pid_t> Holder(const std::string& data_dir);

  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace ldgs

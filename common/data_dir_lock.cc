#include "common/data_dir_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ldgs {
namespace {

std::string LockPath(const std::string& data_dir) { return data_dir + "/ldgsd.lock"; }

struct flock WholeFile(short type) {
  struct flock lock;
  std::memset(&lock, 0, sizeof(lock));
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 0;  // to the end, however long
  return lock;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DataDirLock>> DataDirLock::Acquire(const std::string& data_dir) {
  const std::string path = LockPath(data_dir);
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError("cannot open " + path + ": " + std::strerror(errno));
  }
  struct flock lock = WholeFile(F_WRLCK);
  if (fcntl(fd, F_SETLK, &lock) != 0) {
    const int error = errno;
    struct flock held = WholeFile(F_WRLCK);
    const bool known = fcntl(fd, F_GETLK, &held) == 0 && held.l_type != F_UNLCK;
    close(fd);
    if (error == EACCES || error == EAGAIN) {
      return absl::FailedPreconditionError(
          "data dir " + data_dir + " is in use by another ldgsd" +
          (known ? " (pid " + std::to_string(held.l_pid) + ")" : std::string()));
    }
    return absl::FailedPreconditionError("cannot lock " + path + ": " + std::strerror(error));
  }
  // The holder's pid, for people; the lock itself is what counts.
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // Not fatal: the lock is held either way.
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(fd));
}

absl::StatusOr<pid_t> DataDirLock::Holder(const std::string& data_dir) {
  const std::string path = LockPath(data_dir);
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == EACCES) fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    // No lock file: no node of this version ever ran here, but one from before the lock
    // may be running: unknown.
    if (errno == ENOENT) return -1;
    return absl::FailedPreconditionError("cannot open " + path + ": " + std::strerror(errno));
  }
  struct flock held = WholeFile(F_WRLCK);
  const int got = fcntl(fd, F_GETLK, &held);
  const int error = errno;
  close(fd);
  if (got != 0) {
    return absl::FailedPreconditionError("cannot query " + path + ": " + std::strerror(error));
  }
  if (held.l_type == F_UNLCK) return 0;
  return held.l_pid > 0 ? held.l_pid : -1;  // held from another pid namespace or host
}

DataDirLock::~DataDirLock() { close(fd_); }

}  // namespace ldgs

#include "storage/rocksdb_status.h"

#include <string>

namespace ldgs::storage {

absl::Status FromRocksDb(const rocksdb::Status& status, std::string_view context) {
  if (status.ok()) return absl::OkStatus();
  std::string message = std::string(context) + ": " + status.ToString();
  if (status.IsNoSpace() || status.subcode() == rocksdb::Status::kSpaceLimit) {
    return absl::ResourceExhaustedError("disk full: " + message);
  }
  if (status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (status.IsBusy() || status.IsTimedOut()) return absl::UnavailableError(message);
  if (status.IsIOError()) {
    // A second process on the same data dir fails on RocksDB's LOCK file.
    if (status.ToString().find("lock") != std::string::npos) return absl::UnavailableError(message);
    return absl::InternalError(message);
  }
  return absl::InternalError(message);
}

}  // namespace ldgs::storage

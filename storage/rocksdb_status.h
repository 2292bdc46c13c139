#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace ldgs::storage {

// Converts a RocksDB status to absl::Status, prefixing `context` to the message. Disk full
// maps to RESOURCE_EXHAUSTED, a held lock to UNAVAILABLE, corruption to DATA_LOSS.
absl::Status FromRocksDb(const rocksdb::Status& status, std::string_view context);

}  // namespace ldgs::storage

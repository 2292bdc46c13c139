#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace ldgs::daemon {

// Writes `content` to `path` atomically (temp file, fsync, rename) with `mode`.
absl::Status WriteFileAtomically(const std::string& path, const std::string& content, int mode);

// Reads a whole small file. NOT_FOUND when absent.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);

}  // namespace ldgs::daemon

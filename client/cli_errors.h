#pragma once

#include "absl/status/status.h"

namespace ldgs::client {

// Prints "ldgsctl: MESSAGE" as one line on stderr and returns the exit code for `status`
// (see the table in main.cc), or `exit_code` when given.
int Fail(const absl::Status& status, int exit_code = -1);

}  // namespace ldgs::client

#include "client/cli_errors.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "common/text.h"

namespace ldgs::client {
namespace {
int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 2;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 3;
    case absl::StatusCode::kNotFound:
      return 4;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return 5;
    default:
      return 1;
  }
}
}  // namespace

int Fail(const absl::Status& status, int exit_code) {
  // One line, and no control character of a peer's reaches the terminal.
  std::string message(status.message());
  std::replace(message.begin(), message.end(), '\n', ' ');
  message = EscapeForTerminal(message);
  if (message.empty()) message = "failed (" + absl::StatusCodeToString(status.code()) + ")";
  std::fprintf(stderr, "ldgsctl: %s\n", message.c_str());
  return exit_code >= 0 ? exit_code : ExitCodeFor(status);
}

}  // namespace ldgs::client

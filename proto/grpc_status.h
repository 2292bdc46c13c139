#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

// The one place where gRPC and absl statuses convert (they share code numbers). Every gRPC
// user (replication, the Admin service, ldgsctl) converts here, at its edge.
namespace ldgs {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// `status` as absl, its message prefixed with `context` ("context: message") when given.
inline absl::Status FromGrpcStatus(const grpc::Status& status, std::string_view context = "") {
  if (status.ok()) return absl::OkStatus();
  std::string message = context.empty() ? status.error_message()
                                        : std::string(context) + ": " + status.error_message();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), message);
}

}  // namespace ldgs

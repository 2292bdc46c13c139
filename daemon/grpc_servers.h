#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/config.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"

namespace ldgs::daemon {

// Node-to-node transport security: mutual TLS with the federation CA ([tls] files), or
// plaintext when the config says insecure (a warning is logged).
struct NodeTls {
  bool enabled = false;
  std::shared_ptr<grpc::ServerCredentials> listen;  // for the replication server
  std::shared_ptr<grpc::ChannelCredentials> dial;   // for dialers (null when plaintext)
};

// NOT_FOUND naming the file when a PEM file cannot be read.
absl::StatusOr<NodeTls> LoadNodeTls(const NodeConfig& config);

// Builds and starts a gRPC server for `service` on `address` ("host:port", port 0 picks a
// free one, or "unix:PATH"), with message limits and keepalive. Sets `*bound` to the address
// it listens on. UNAVAILABLE when it cannot listen.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(
    grpc::Service* service, const std::string& address, size_t max_message_bytes,
    std::shared_ptr<grpc::ServerCredentials> credentials, std::string* bound);

}  // namespace ldgs::daemon

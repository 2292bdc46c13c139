#pragma once

#include <memory>
#include <string>

#include "daemon/replication/replication_context.h"
#include "grpcpp/channel.h"

namespace ldgs::daemon::replication {

// A channel to the node `node_id` at `address`: keepalive, message size limits, fast gRPC
// reconnects under our own backoff, and with mutual TLS the peer's certificate must name
// `node_id`.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, const std::string& node_id,
                                           const ReplicationContext& context);

}  // namespace ldgs::daemon::replication

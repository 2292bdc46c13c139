#include "daemon/replication/channel.h"

#include <algorithm>
#include <cctype>

#include "grpcpp/grpcpp.h"

namespace ldgs::daemon::replication {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, const std::string& node_id,
                                           const ReplicationContext& context) {
  const BatchLimits& limits = context.batch_limits;
  grpc::ChannelArguments args;
  // Keepalive finds a dead hub behind a silent NAT within seconds, not at TCP timeout.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetMaxReceiveMessageSize(static_cast<int>(limits.max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(limits.max_message_bytes));
  // Our own backoff decides when to redial; keep gRPC's reconnect quick underneath it.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  if (!context.tls) {
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  // The peer's certificate must name the node ID we dial, whatever address it is at.
  std::string expected = node_id;
  std::transform(expected.begin(), expected.end(), expected.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  args.SetSslTargetNameOverride(expected);
  return grpc::CreateCustomChannel(address, context.dial_credentials, args);
}

}  // namespace ldgs::daemon::replication

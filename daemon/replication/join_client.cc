#include "daemon/replication/join_client.h"

#include <chrono>

#include "common/base32.h"
#include "daemon/replication/channel.h"
#include "daemon/replication/session_table.h"
#include "grpcpp/grpcpp.h"
#include "ldgs/v1/replication.grpc.pb.h"
#include "proto/grpc_status.h"
#include "record/node_key.h"

namespace ldgs::daemon::replication {

namespace {
constexpr char kPrefix[] = "ldgs1:";
}

std::string FormatInviteCode(const std::string& node_id, const std::string& secret) {
  return kPrefix + node_id + ":" + Base32Encode(secret);
}

absl::StatusOr<DialPeer> RedeemInviteCode(const ReplicationContext& context,
                                          const std::string& code, const std::string& address,
                                          bool sister) {
  const size_t colon = code.rfind(':');
  if (code.rfind(kPrefix, 0) != 0 || colon == std::string::npos || colon < sizeof(kPrefix)) {
    return absl::InvalidArgumentError("not an ldgs invite code (ldgs1:HUB_NODE_ID:SECRET)");
  }
  DialPeer hub;
  hub.node_id = code.substr(sizeof(kPrefix) - 1, colon - (sizeof(kPrefix) - 1));
  hub.address = address;
  std::optional<std::string> secret = Base32Decode(code.substr(colon + 1));
  if (!record::IsNodeId(hub.node_id) || !secret || secret->size() != kInviteSecretBytes) {
    return absl::InvalidArgumentError("malformed invite code");
  }
  if (address.empty()) return absl::InvalidArgumentError("give the hub's address (host:port)");

  v1::JoinRequest request;
  request.set_protocol_version(kProtocolVersion);
  request.set_node_id(context.key->node_id());
  request.set_role(context.is_hub ? v1::ROLE_HUB : v1::ROLE_CHAPTER);
  request.set_invite_secret(*secret);
  request.set_signature(
      context.key->Sign(JoinTranscript(*secret, context.key->node_id(), hub.node_id)));
  v1::JoinResponse response;
  grpc::ClientContext call;
  call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status status = v1::Replication::NewStub(MakeChannel(address, hub.node_id, context))
                            ->Join(&call, request, &response);
  if (!status.ok()) {
    return FromGrpcStatus(status, "join " + address);
  }
  if (response.node_id() != hub.node_id) {
    return absl::PermissionDeniedError("the node at " + address + " is not the invite's hub");
  }
  const bool answered_sister = response.relation() == v1::RELATION_SISTER;
  if (answered_sister != sister) {
    return absl::PermissionDeniedError(
        std::string("the node at ") + address + " enrolled this node as " +
        (answered_sister ? "a sister" : "its member") + ", not as " +
        (sister ? "a sister (join --sister)" : "its member (join without --sister)"));
  }
  hub.relation = sister ? v1::RELATION_SISTER : v1::RELATION_HUB;
  return hub;
}

}  // namespace ldgs::daemon::replication

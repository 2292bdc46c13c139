#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "daemon/replication/dial_peer.h"
#include "daemon/replication/replication_context.h"

namespace ldgs::daemon::replication {

// Parses an invite code "ldgs1:HUB_NODE_ID:SECRET" and redeems it at the hub at `address`
// (Replication.Join, signed by this node). `sister` says what this node's operator means to
// join; the relation the remote answers with must match (PERMISSION_DENIED otherwise, and
// nothing is written here). Returns the peer to dial from now on. INVALID_ARGUMENT for a
// malformed code; the remote's status otherwise.
absl::StatusOr<DialPeer> RedeemInviteCode(const ReplicationContext& context,
                                          const std::string& code, const std::string& address,
                                          bool sister);

// Makes an invite code for this node's `secret`.
std::string FormatInviteCode(const std::string& node_id, const std::string& secret);

}  // namespace ldgs::daemon::replication

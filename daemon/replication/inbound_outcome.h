#pragma once

#include "absl/status/status.h"
#include "daemon/replication/inbound_batch.h"
#include "daemon/replication/replication_context.h"

namespace ldgs::daemon::replication {

// What every receiver (the Push server, the dialer's Pull) does after applying a batch from
// `peer`: counts and logs refused records and forks for `ldgsctl peers`, reloads the revoked
// set when a revocation arrived, and returns PERMISSION_DENIED when the peer sent mostly
// records it may not send (the caller ends the stream with it).
absl::Status RecordInbound(const ReplicationContext& context, const PeerView& peer,
                           const v1::Batch& batch, const InboundResult& result);

}  // namespace ldgs::daemon::replication

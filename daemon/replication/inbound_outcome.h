#pragma once

#include <string>
#include <vector>

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

// What every receiver does with batches a stream brought: checks the records of `group`
// (consecutive batches of one stream from `peer`, in order), applies them with the peer's
// checkpoint in `feed_epoch` in one synced write (a group commit), then RecordInbound for
// each batch. Returns the first failure; when a check or the write fails nothing is written.
absl::Status ReceiveBatches(const ReplicationContext& context, const PeerView& peer,
                            const BatchLimits& limits, const std::string& feed_epoch,
                            const std::vector<v1::Batch>& group);

}  // namespace ldgs::daemon::replication

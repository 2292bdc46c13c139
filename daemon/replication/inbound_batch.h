#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "daemon/replication/batch_limits.h"
#include "daemon/replication/revocations.h"
#include "daemon/replication/visibility_filter.h"
#include "ldgs/v1/replication.pb.h"
#include "record/limits.h"
#include "storage/record_store.h"

namespace ldgs::daemon::replication {

struct InboundResult {
  storage::ApplyResult applied;
  int refused = 0;                   // records skipped: they did not parse, verify or validate, or
                                     // the peer may not send them
  std::string last_refusal;          // why the last one was refused
  bool revocations_changed = false;  // a revocation record was applied
};

// Checks every record of a batch received from `peer`: the signature over the exact bytes,
// field bounds, the visibility rule's receive side (visibility_filter.h) and, for an
// observation, the bounds of its metric's definition (this node's own or its hub chain's).
// A record that fails is skipped and counted; the others are applied together with the new
// inbound checkpoint (peer, {feed_epoch, batch.up_to}) in one write. RESOURCE_EXHAUSTED, nothing
// written, for a batch over the limits; the store's error when the write fails.
absl::StatusOr<InboundResult> ApplyInboundBatch(storage::RecordStore* store, const v1::Batch& batch,
                                                const SelfView& self, const PeerView& peer,
                                                const Revocations& revocations,
                                                const record::RecordLimits& record_limits,
                                                const BatchLimits& batch_limits,
                                                const std::string& feed_epoch);

// Whether a peer that sent `result` for a batch of `records` sends mostly what it may not:
// then the link is cut (PERMISSION_DENIED), so that a hostile peer cannot keep a hub busy.
bool MostlyRefused(const InboundResult& result, int records);

}  // namespace ldgs::daemon::replication

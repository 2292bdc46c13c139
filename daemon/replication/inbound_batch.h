#pragma once

#include "absl/status/statusor.h"
#include "daemon/replication/batch_limits.h"
#include "daemon/replication/visibility_filter.h"
#include "ldgs/v1/replication.pb.h"
#include "record/limits.h"
#include "storage/record_store.h"

namespace ldgs::daemon::replication {

// Verifies every record of a batch received from `peer` (signature over the exact bytes,
// field bounds, and the visibility filter's receive rule), then applies them together with
// the new inbound checkpoint (peer, batch.up_to) in one write. On any bad record nothing is
// written: RESOURCE_EXHAUSTED for a batch over the limits, INVALID_ARGUMENT for a record
// that does not parse, validate or verify, PERMISSION_DENIED for one the peer may not send.
absl::StatusOr<storage::ApplyResult> ApplyInboundBatch(storage::RecordStore* store,
                                                       const v1::Batch& batch, const SelfView& self,
                                                       const PeerView& peer,
                                                       const record::RecordLimits& record_limits,
                                                       const BatchLimits& batch_limits);

}  // namespace ldgs::daemon::replication

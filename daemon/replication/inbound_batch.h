#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/parallel_for.h"
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

// Where the checks of a batch's records run: the calling thread and up to `helpers` tasks
// on `executor` (no executor: the calling thread only).
struct Parallelism {
  Executor executor;
  int helpers = 0;
};

// A batch whose records were checked: what may be applied, and what was refused.
struct VerifiedBatch {
  std::vector<storage::IncomingRecord> records;  // in batch order
  uint64_t up_to = 0;
  uint64_t head = 0;
  int size = 0;  // records in the batch as sent
  int refused = 0;
  std::string last_refusal;
  bool revocations_changed = false;
};

// Checks every record of a batch received from `peer`: the signature over the exact bytes,
// field bounds, the visibility rule's receive side (visibility_filter.h) and, for an
// observation, the bounds of its metric's definition (this node's own or its hub chain's).
// A record that fails is skipped and counted. RESOURCE_EXHAUSTED for a batch over the limits.
// Reads the store, never writes it.
absl::StatusOr<VerifiedBatch> VerifyInboundBatch(
    const storage::RecordStore& store, const v1::Batch& batch, const SelfView& self,
    const PeerView& peer, const Revocations& revocations, const record::RecordLimits& record_limits,
    const BatchLimits& batch_limits, const Parallelism& parallelism = {});

// Applies the records of `batches` (consecutive batches of one stream, in order) together
// with the new inbound checkpoint (peer, {feed_epoch, last batch's up_to}) in one synced
// write: a group commit. The store's error when the write fails, and nothing is written.
absl::StatusOr<storage::ApplyResult> ApplyVerifiedBatches(storage::RecordStore* store,
                                                          std::vector<VerifiedBatch>* batches,
                                                          const PeerView& peer,
                                                          const std::string& feed_epoch);

// VerifyInboundBatch, then ApplyVerifiedBatches of that one batch.
absl::StatusOr<InboundResult> ApplyInboundBatch(storage::RecordStore* store, const v1::Batch& batch,
                                                const SelfView& self, const PeerView& peer,
                                                const Revocations& revocations,
                                                const record::RecordLimits& record_limits,
                                                const BatchLimits& batch_limits,
                                                const std::string& feed_epoch,
                                                const Parallelism& parallelism = {});

// Whether a peer that sent `result` for a batch of `records` sends mostly what it may not:
// then the link is cut (PERMISSION_DENIED), so that a hostile peer cannot keep a hub busy.
bool MostlyRefused(const InboundResult& result, int records);

}  // namespace ldgs::daemon::replication

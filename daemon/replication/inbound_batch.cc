#include "daemon/replication/inbound_batch.h"

#include "common/status_macros.h"
#include "record/signed_record.h"

namespace ldgs::daemon::replication {

absl::StatusOr<storage::ApplyResult> ApplyInboundBatch(storage::RecordStore* store,
                                                       const v1::Batch& batch, const SelfView& self,
                                                       const PeerView& peer,
                                                       const record::RecordLimits& record_limits,
                                                       const BatchLimits& batch_limits) {
  if (static_cast<size_t>(batch.records_size()) > batch_limits.max_records) {
    return absl::ResourceExhaustedError("batch of " + std::to_string(batch.records_size()) +
                                        " records is over the limit of " +
                                        std::to_string(batch_limits.max_records));
  }
  std::vector<storage::IncomingRecord> records;
  records.reserve(batch.records_size());
  for (const std::string& bytes : batch.records()) {
    absl::StatusOr<record::OpenedRecord> opened = record::OpenSignedRecord(bytes, record_limits);
    if (!opened.ok()) {
      return absl::Status(opened.status().code(), "refused batch from " + peer.node_id + ": " +
                                                      std::string(opened.status().message()));
    }
    LDGS_RETURN_IF_ERROR(CheckMayReceive(opened->record, self, peer));
    records.push_back({std::move(opened->record), std::move(opened->signed_bytes), ""});
  }
  return store->Apply(records, storage::StateChange().SetCheckpoint(
                                   peer.node_id, storage::PeerDirection::kInbound, batch.up_to()));
}

}  // namespace ldgs::daemon::replication

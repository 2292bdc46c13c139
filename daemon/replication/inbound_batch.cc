#include "daemon/replication/inbound_batch.h"

#include <optional>

#include "common/status_macros.h"
#include "record/signed_record.h"

namespace ldgs::daemon::replication {
namespace {

constexpr int kCutOffMinimum = 8;  // refused records in one batch before "mostly" counts

// The definition of `metric` that counts here: this node's own, else one of its hub chain.
std::optional<v1::MetricDefinition> DefinitionOf(const storage::RecordStore& store,
                                                 const SelfView& self, const std::string& metric) {
  std::vector<std::string> authorities = {self.node_id};
  authorities.insert(authorities.end(), self.hub_chain.begin(), self.hub_chain.end());
  for (const std::string& origin : authorities) {
    absl::StatusOr<storage::StoredEntry> held = store.Get(origin, "metric:" + metric);
    if (held.ok() && held->record.has_metric_definition()) {
      return held->record.metric_definition();
    }
  }
  return std::nullopt;
}

absl::Status CheckBounds(const storage::RecordStore& store, const SelfView& self,
                         const v1::Record& record) {
  if (!record.has_metric_observation()) return absl::OkStatus();
  const v1::MetricObservation& o = record.metric_observation();
  std::optional<v1::MetricDefinition> definition = DefinitionOf(store, self, o.metric());
  if (!definition) return absl::OkStatus();
  if ((definition->has_min_value() && o.value() < definition->min_value()) ||
      (definition->has_max_value() && o.value() > definition->max_value())) {
    return absl::InvalidArgumentError("observation " + record.id() + " of " + record.origin() +
                                      " is outside its metric's bounds");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<InboundResult> ApplyInboundBatch(storage::RecordStore* store, const v1::Batch& batch,
                                                const SelfView& self, const PeerView& peer,
                                                const Revocations& revocations,
                                                const record::RecordLimits& record_limits,
                                                const BatchLimits& batch_limits,
                                                const std::string& feed_epoch) {
  if (static_cast<size_t>(batch.records_size()) > batch_limits.max_records) {
    return absl::ResourceExhaustedError("batch of " + std::to_string(batch.records_size()) +
                                        " records is over the limit of " +
                                        std::to_string(batch_limits.max_records));
  }
  InboundResult result;
  std::vector<storage::IncomingRecord> records;
  records.reserve(batch.records_size());
  for (const std::string& bytes : batch.records()) {
    absl::Status refused;
    absl::StatusOr<record::OpenedRecord> opened = record::OpenSignedRecord(bytes, record_limits);
    if (!opened.ok()) {
      refused = opened.status();
    } else {
      RecordFacts facts;
      facts.origin_revoked = revocations.Contains(opened->record.origin());
      if (facts.origin_revoked) {
        facts.already_held = store->Get(opened->record.origin(), opened->record.id()).ok();
      }
      refused = CheckMayReceive(opened->record, self, peer, facts);
      if (refused.ok()) refused = CheckBounds(*store, self, opened->record);
    }
    if (!refused.ok()) {
      ++result.refused;
      result.last_refusal = std::string(refused.message());
      continue;
    }
    if (opened->record.kind() == v1::KIND_REVOCATION) result.revocations_changed = true;
    records.push_back({std::move(opened->record), std::move(opened->signed_bytes), ""});
  }
  LDGS_ASSIGN_OR_RETURN(
      result.applied, store->Apply(records, storage::StateChange().SetCheckpoint(
                                                peer.node_id, storage::PeerDirection::kInbound,
                                                storage::FeedPosition{feed_epoch, batch.up_to()})));
  return result;
}

bool MostlyRefused(const InboundResult& result, int records) {
  return result.refused >= kCutOffMinimum && result.refused * 2 > records;
}

}  // namespace ldgs::daemon::replication

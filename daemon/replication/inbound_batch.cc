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

absl::StatusOr<VerifiedBatch> VerifyInboundBatch(
    const storage::RecordStore& store, const v1::Batch& batch, const SelfView& self,
    const PeerView& peer, const Revocations& revocations, const record::RecordLimits& record_limits,
    const BatchLimits& batch_limits, const Parallelism& parallelism) {
  if (static_cast<size_t>(batch.records_size()) > batch_limits.max_records) {
    return absl::ResourceExhaustedError("batch of " + std::to_string(batch.records_size()) +
                                        " records is over the limit of " +
                                        std::to_string(batch_limits.max_records));
  }
  size_t bytes = 0;
  for (const std::string& record : batch.records()) bytes += record.size();
  // A batch always carries its first entry, a record and its retraction, whatever size.
  if (bytes > batch_limits.max_bytes && batch.records_size() > 2) {
    return absl::ResourceExhaustedError("batch of " + std::to_string(bytes) +
                                        " bytes is over the limit of " +
                                        std::to_string(batch_limits.max_bytes));
  }
  // Each record is checked on its own (the signature check is most of a hub's work), so
  // they are spread over the helpers; the results keep batch order.
  struct Checked {
    absl::StatusOr<record::OpenedRecord> opened = absl::UnknownError("unchecked");
  };
  std::vector<Checked> checked(batch.records_size());
  ParallelFor(parallelism.executor, parallelism.helpers, checked.size(), [&](size_t i) {
    absl::StatusOr<record::OpenedRecord> opened =
        record::OpenSignedRecord(batch.records(static_cast<int>(i)), record_limits);
    if (opened.ok()) {
      RecordFacts facts;
      facts.origin_revoked = revocations.Contains(opened->record.origin());
      if (facts.origin_revoked) {
        facts.already_held = store.Get(opened->record.origin(), opened->record.id()).ok();
      }
      absl::Status refused = CheckMayReceive(opened->record, self, peer, facts);
      if (refused.ok()) refused = CheckBounds(store, self, opened->record);
      if (!refused.ok()) opened = refused;
    }
    checked[i].opened = std::move(opened);
  });

  VerifiedBatch result;
  result.up_to = batch.up_to();
  result.head = batch.head();
  result.size = batch.records_size();
  result.records.reserve(checked.size());
  for (Checked& c : checked) {
    if (!c.opened.ok()) {
      ++result.refused;
      result.last_refusal = std::string(c.opened.status().message());
      continue;
    }
    if (c.opened->record.kind() == v1::KIND_REVOCATION) result.revocations_changed = true;
    result.records.push_back({std::move(c.opened->record), std::move(c.opened->signed_bytes), ""});
  }
  return result;
}

absl::StatusOr<storage::ApplyResult> ApplyVerifiedBatches(storage::RecordStore* store,
                                                          std::vector<VerifiedBatch>* batches,
                                                          const PeerView& peer,
                                                          const std::string& feed_epoch) {
  if (batches->empty()) return storage::ApplyResult();
  std::vector<storage::IncomingRecord> records;
  if (batches->size() == 1) {
    records = std::move(batches->front().records);
  } else {
    size_t total = 0;
    for (const VerifiedBatch& b : *batches) total += b.records.size();
    records.reserve(total);
    for (VerifiedBatch& b : *batches) {
      for (storage::IncomingRecord& r : b.records) records.push_back(std::move(r));
      b.records.clear();
    }
  }
  return store->Apply(records, storage::StateChange().SetCheckpoint(
                                   peer.node_id, storage::PeerDirection::kInbound,
                                   storage::FeedPosition{feed_epoch, batches->back().up_to}));
}

absl::StatusOr<InboundResult> ApplyInboundBatch(storage::RecordStore* store, const v1::Batch& batch,
                                                const SelfView& self, const PeerView& peer,
                                                const Revocations& revocations,
                                                const record::RecordLimits& record_limits,
                                                const BatchLimits& batch_limits,
                                                const std::string& feed_epoch,
                                                const Parallelism& parallelism) {
  std::vector<VerifiedBatch> verified(1);
  LDGS_ASSIGN_OR_RETURN(verified[0], VerifyInboundBatch(*store, batch, self, peer, revocations,
                                                        record_limits, batch_limits, parallelism));
  InboundResult result;
  result.refused = verified[0].refused;
  result.last_refusal = verified[0].last_refusal;
  result.revocations_changed = verified[0].revocations_changed;
  LDGS_ASSIGN_OR_RETURN(result.applied, ApplyVerifiedBatches(store, &verified, peer, feed_epoch));
  return result;
}

bool MostlyRefused(const InboundResult& result, int records) {
  return result.refused >= kCutOffMinimum && result.refused * 2 > records;
}

}  // namespace ldgs::daemon::replication

#include "daemon/replication/inbound_outcome.h"

#include "common/text.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon::replication {

absl::Status RecordInbound(const ReplicationContext& context, const PeerView& peer,
                           const v1::Batch& batch, const InboundResult& result) {
  if (result.applied.forks > 0) {
    spdlog::warn("from {}: refused {} forked record(s)", peer.node_id, result.applied.forks);
  }
  if (result.refused > 0) {
    // One line per batch, not per record: a hostile peer cannot flood the log.
    spdlog::warn("from {}: skipped {} of {} record(s); last: {}", peer.node_id, result.refused,
                 batch.records_size(), EscapeForTerminal(result.last_refusal));
    context.registry->RecordRefused(peer.node_id, static_cast<uint64_t>(result.refused),
                                    result.last_refusal);
  }
  context.registry->RecordReceived(peer.node_id, batch.up_to(), batch.head(),
                                   static_cast<uint64_t>(batch.records_size()),
                                   static_cast<uint64_t>(result.applied.forks));
  if (result.revocations_changed) {
    if (absl::Status reloaded = context.ReloadRevocations(); !reloaded.ok()) {
      spdlog::error("reloading revocations: {}", reloaded.ToString());
    }
  }
  // Our configured hub is never cut off (it is trusted by config, and cutting it off would
  // stall this node); a member or sister that sends mostly refused records is.
  if (peer.relation != v1::RELATION_HUB && MostlyRefused(result, batch.records_size())) {
    const std::string message = "node " + peer.node_id + " sent " + std::to_string(result.refused) +
                                " records of " + std::to_string(batch.records_size()) +
                                " that it may not send; cut off (last: " + result.last_refusal +
                                ")";
    context.registry->RecordError(peer.node_id, message, absl::StatusCode::kPermissionDenied);
    return absl::PermissionDeniedError(message);
  }
  return absl::OkStatus();
}

absl::Status ReceiveBatches(const ReplicationContext& context, const PeerView& peer,
                            const BatchLimits& limits, const std::string& feed_epoch,
                            const std::vector<v1::Batch>& group) {
  const Parallelism parallelism{context.executor, context.verify_helpers};
  std::vector<VerifiedBatch> verified;
  verified.reserve(group.size());
  for (const v1::Batch& batch : group) {
    absl::StatusOr<VerifiedBatch> checked =
        VerifyInboundBatch(*context.records, batch, context.Self(), peer, *context.revocations,
                           context.record_limits, limits, parallelism);
    if (!checked.ok()) return checked.status();
    verified.push_back(std::move(*checked));
  }
  std::vector<InboundResult> outcomes(group.size());
  for (size_t i = 0; i < group.size(); ++i) {
    outcomes[i].refused = verified[i].refused;
    outcomes[i].last_refusal = verified[i].last_refusal;
    outcomes[i].revocations_changed = verified[i].revocations_changed;
  }
  absl::StatusOr<storage::ApplyResult> applied =
      ApplyVerifiedBatches(context.records, &verified, peer, feed_epoch);
  if (!applied.ok()) return applied.status();
  if (!outcomes.empty()) outcomes.back().applied = *applied;  // the group's counts, told once
  for (size_t i = 0; i < group.size(); ++i) {
    if (absl::Status cut = RecordInbound(context, peer, group[i], outcomes[i]); !cut.ok()) {
      return cut;
    }
  }
  return absl::OkStatus();
}

}  // namespace ldgs::daemon::replication

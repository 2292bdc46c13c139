#include "daemon/replication/push_reactor.h"

#include "daemon/replication/inbound_batch.h"
#include "daemon/replication/inbound_outcome.h"
#include "proto/grpc_status.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon::replication {

PushReactor::PushReactor(ReplicationContext* context, PeerView peer, SessionTerms terms)
    : context_(context),
      peer_(std::move(peer)),
      terms_(std::move(terms)),
      guard_(
          context->registry, peer_.node_id, [this](grpc::Status s) { Finish(s); },
          [this] { delete this; }) {
  guard_.StartUnlessFinished([this] { StartRead(&batch_); });
}

void PushReactor::OnReadDone(bool ok) {
  if (!ok) {  // the dialer closed its side, or the call broke
    guard_.FinishOnce(grpc::Status::OK);
    return;
  }
  guard_.Post(context_->executor, [this] { ApplyBatch(); });
}

void PushReactor::ApplyBatch() {
  // The volume check comes first, so a peer over its rate writes nothing.
  const size_t per_minute = context_->batch_limits.max_records_per_minute;
  if (!context_->registry->TakeRecords(peer_.node_id, batch_.records_size(), per_minute)) {
    const std::string message = "node " + peer_.node_id + " pushed more than " +
                                std::to_string(per_minute) + " records in a minute, the limit";
    spdlog::warn("{}", message);
    context_->registry->RecordError(peer_.node_id, message);
    guard_.FinishOnce(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, message));
    return;
  }
  absl::StatusOr<InboundResult> applied =
      ApplyInboundBatch(context_->records, batch_, context_->Self(), peer_, *context_->revocations,
                        context_->record_limits, terms_.limits, terms_.peer_feed_epoch);
  if (!applied.ok()) {
    spdlog::warn("push from {}: {}", peer_.node_id, applied.status().ToString());
    context_->registry->RecordError(peer_.node_id, std::string(applied.status().message()));
    guard_.FinishOnce(ToGrpcStatus(applied.status()));
    return;
  }
  if (absl::Status cut = RecordInbound(*context_, peer_, batch_, *applied); !cut.ok()) {
    guard_.FinishOnce(ToGrpcStatus(cut));
    return;
  }
  ack_.set_up_to(batch_.up_to());
  guard_.StartUnlessFinished([this] { StartWrite(&ack_); });
}

void PushReactor::OnWriteDone(bool ok) {
  if (!ok) {
    guard_.FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "push stream broken"));
    return;
  }
  guard_.StartUnlessFinished([this] { StartRead(&batch_); });
}

void PushReactor::OnCancel() {
  guard_.FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "push cancelled"));
}

void PushReactor::OnDone() { guard_.Done(); }

}  // namespace ldgs::daemon::replication

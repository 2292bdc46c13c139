#include "daemon/replication/pull_reactor.h"

#include "proto/grpc_status.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon::replication {

PullReactor::PullReactor(ReplicationContext* context, PeerView peer, BatchLimits limits,
                         uint64_t since)
    : context_(context),
      guard_(
          context->registry, peer.node_id, [this](grpc::Status s) { Finish(s); },
          [this] { delete this; }),
      tail_(context, std::move(peer), limits, since) {
  guard_.Post(context_->executor, [this] { SendNext(); });
}

void PullReactor::SendNext() {
  if (guard_.finished()) return;
  const PeerView& peer = tail_.peer();
  absl::StatusOr<v1::Batch> batch = tail_.Next();
  if (!batch.ok()) {
    spdlog::error("pull for {}: {}", peer.node_id, batch.status().ToString());
    guard_.FinishOnce(ToGrpcStatus(batch.status()));
    return;
  }
  // Members learn this node's hub chain on the first batch and whenever it changes.
  std::vector<std::string> chain;
  if (peer.relation == v1::RELATION_MEMBER || peer.relation == v1::RELATION_MEMBER_HUB) {
    chain = context_->hub_chain->Announcement(context_->key->node_id());
  }
  if (batch->up_to() == tail_.cursor() && sent_first_ && chain == chain_sent_) {
    WaitForChange();
    return;
  }
  if (chain != chain_sent_) {
    for (const std::string& id : chain) batch->add_hub_chain(id);
    chain_sent_ = std::move(chain);
  }
  sent_first_ = true;
  tail_.Advance(batch->up_to());
  batch_ = std::move(*batch);
  guard_.StartUnlessFinished([this] { StartWrite(&batch_); });
}

void PullReactor::WaitForChange() {
  // Held while registered; the wake (or OnCancel's successful CancelWait) releases it. A
  // second hold covers the registration itself: the wake may run at once on a committing
  // thread, and what it starts may end the stream before this returns.
  guard_.Hold();
  guard_.Hold();
  const bool registered = tail_.WaitForChange([this] {
    guard_.Post(context_->executor, [this] { SendNext(); });
    guard_.Release();
  });
  // Cancelled while registering: OnCancel may have missed the registration.
  if (registered && guard_.finished() && tail_.CancelWait()) guard_.Release();
  guard_.Release();  // last: may delete this
}

void PullReactor::OnWriteDone(bool ok) {
  if (!ok) {
    guard_.FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "pull stream broken"));
    return;
  }
  context_->registry->RecordSent(tail_.peer().node_id, tail_.cursor());
  guard_.Post(context_->executor, [this] { SendNext(); });
}

void PullReactor::OnCancel() {
  guard_.FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "pull cancelled"));
  if (tail_.CancelWait()) guard_.Release();
}

void PullReactor::OnDone() { guard_.Done(); }

}  // namespace ldgs::daemon::replication

#include "daemon/replication/pull_reactor.h"

#include <algorithm>

#include "daemon/replication/outbound_batch.h"
#include "proto/grpc_status.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon::replication {

PullReactor::PullReactor(ReplicationContext* context, PeerView peer, BatchLimits limits,
                         uint64_t since)
    : context_(context),
      peer_(std::move(peer)),
      limits_(limits),
      guard_(
          context->registry, peer_.node_id, [this](grpc::Status s) { Finish(s); },
          [this] { delete this; }),
      cursor_(since) {
  guard_.Post(context_->executor, [this] { SendNext(); });
}

void PullReactor::SendNext() {
  if (guard_.finished()) return;
  absl::StatusOr<v1::Batch> batch =
      BuildOutboundBatch(*context_->records, cursor_, context_->Self(), peer_, limits_,
                         context_->revocations->Contains(peer_.node_id));
  if (!batch.ok()) {
    spdlog::error("pull for {}: {}", peer_.node_id, batch.status().ToString());
    guard_.FinishOnce(ToGrpcStatus(batch.status()));
    return;
  }
  // Members learn this node's hub chain on the first batch and whenever it changes.
  std::vector<std::string> chain;
  if (peer_.relation == v1::RELATION_MEMBER || peer_.relation == v1::RELATION_MEMBER_HUB) {
    chain = context_->hub_chain->Announcement(context_->key->node_id());
  }
  if (batch->up_to() == cursor_ && sent_first_ && chain == chain_sent_) {
    WaitForChange();
    return;
  }
  if (chain != chain_sent_) {
    for (const std::string& id : chain) batch->add_hub_chain(id);
    chain_sent_ = std::move(chain);
  }
  sent_first_ = true;
  cursor_ = batch->up_to();
  batch_ = std::move(*batch);
  guard_.StartUnlessFinished([this] { StartWrite(&batch_); });
}

void PullReactor::WaitForChange() {
  // Held while registered; the callback (or OnCancel's successful Cancel) releases it.
  guard_.Hold();
  // What is for a hub alone goes only up, from its origin (visibility_filter.h): towards a
  // member or a sister (every enrolled dialer) those commits need not wake this stream.
  // A peer recovering its own records (wants_own) takes its hub-only ones back too.
  const bool beyond_hub_only = peer_.relation != v1::RELATION_HUB && !peer_.wants_own;
  const uint64_t id =
      context_->notifier->CallWhenBeyond(cursor_, beyond_hub_only, [this](uint64_t skip_to) {
        {
          std::lock_guard<std::mutex> lock(wait_mu_);
          wait_id_ = 0;
        }
        guard_.Post(context_->executor, [this, skip_to] {
          cursor_ = std::max(cursor_, skip_to);
          SendNext();
        });
        guard_.Release();
      });
  if (id == 0) return;  // already ran
  {
    // A stale id (the callback ran meanwhile) is harmless: Cancel then returns false.
    std::lock_guard<std::mutex> lock(wait_mu_);
    wait_id_ = id;
  }
  // Cancelled while registering: OnCancel may have missed the id.
  if (guard_.finished() && context_->notifier->Cancel(id)) guard_.Release();
}

void PullReactor::OnWriteDone(bool ok) {
  if (!ok) {
    guard_.FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "pull stream broken"));
    return;
  }
  context_->registry->RecordSent(peer_.node_id, cursor_);
  guard_.Post(context_->executor, [this] { SendNext(); });
}

void PullReactor::OnCancel() {
  guard_.FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "pull cancelled"));
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    id = wait_id_;
    wait_id_ = 0;
  }
  if (id != 0 && context_->notifier->Cancel(id)) guard_.Release();
}

void PullReactor::OnDone() { guard_.Done(); }

}  // namespace ldgs::daemon::replication

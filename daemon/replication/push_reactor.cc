#include "daemon/replication/push_reactor.h"

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
  std::lock_guard<std::mutex> lock(mu_);
  StartReadLocked();
}

void PushReactor::StartReadLocked() {
  guard_.StartUnlessFinished([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { StartRead(&reading_); });
}

bool PushReactor::AllDoneLocked() const {
  return dialer_done_ && queued_.empty() && !draining_ && !writing_;
}

void PushReactor::OnReadDone(bool ok) {
  bool finish = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ok) {  // the dialer closed its side, or the call broke
      dialer_done_ = true;
      finish = AllDoneLocked();
    } else {
      queued_.push_back(std::move(reading_));
      reading_.Clear();
      if (queued_.size() + applying_ < kReadAhead) {
        StartReadLocked();
      } else {
        read_paused_ = true;
      }
      if (!draining_) {
        draining_ = true;
        guard_.Post(context_->executor, [this] { Drain(); });
      }
    }
  }
  if (finish) guard_.FinishOnce(grpc::Status::OK);
}

void PushReactor::Drain() {
  for (;;) {
    std::vector<v1::Batch> group;
    std::chrono::milliseconds wait(0);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queued_.empty() || guard_.finished()) {
        draining_ = false;
        if (AllDoneLocked()) break;
        return;
      }
      // The volume check comes first, so a peer over its rate writes nothing: the group is
      // the batches its bucket covers. Past them its batches wait (and, the queue full,
      // reading stops: flow control holds the dialer back) and it is told why.
      while (!queued_.empty() && group.size() < kReadAhead) {
        wait = context_->registry->TakeRecords(
            peer_.node_id, static_cast<size_t>(queued_.front().records_size()),
            context_->batch_limits.max_records_per_minute, context_->batch_limits.burst_records);
        if (wait.count() > 0) break;
        group.push_back(std::move(queued_.front()));
        queued_.pop_front();
      }
      applying_ = group.size();
      if (!group.empty() && !throttled_.empty() && wait.count() == 0) {
        throttled_.clear();
        context_->registry->SetThrottled(peer_.node_id, "");
      }
    }
    if (!group.empty()) {
      if (!ApplyGroup(group)) return;
      SendAck(group.back().up_to());
    }
    if (wait.count() > 0) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        applying_ = 0;
      }
      HoldBack(wait);
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    // The group counts against the read-ahead until it is applied: a stream holds at most
    // kReadAhead batches and the one being read.
    applying_ = 0;
    if (read_paused_ && queued_.size() < kReadAhead) {
      read_paused_ = false;
      StartReadLocked();
    }
    // One group per task, so that one busy stream does not hold a pool thread for its
    // whole backlog while other streams' work waits.
    if (!queued_.empty()) {
      guard_.Post(context_->executor, [this] { Drain(); });
      return;
    }
  }
  guard_.FinishOnce(grpc::Status::OK);
}

void PushReactor::SendAck(uint64_t up_to) {
  std::lock_guard<std::mutex> lock(mu_);
  acked_ = up_to;
  if (writing_) {
    ack_pending_ = true;
    return;
  }
  writing_ = true;
  ack_.set_up_to(acked_);
  ack_.set_throttled(throttled_);
  guard_.StartUnlessFinished([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { StartWrite(&ack_); });
}

void PushReactor::HoldBack(std::chrono::milliseconds wait) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(wait).count() + 1;
  const std::string why = "over " + std::to_string(context_->batch_limits.max_records_per_minute) +
                          " records a minute after a burst of " +
                          std::to_string(context_->batch_limits.burst_records) +
                          "; pushes held back for " + std::to_string(seconds) + " s";
  {
    std::lock_guard<std::mutex> lock(mu_);
    const bool first = throttled_.empty();
    throttled_ = why;
    if (first) {
      spdlog::warn("push from {}: {}", peer_.node_id, why);
      context_->registry->SetThrottled(peer_.node_id, why);
    }
  }
  // The dialer learns why with an ack of what was applied before (nothing new).
  uint64_t acked = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    acked = acked_;
  }
  SendAck(acked);
  // Re-checked at least every second, so a cancelled stream is let go soon.
  guard_.Hold();
  context_->run_after(std::min(wait, std::chrono::milliseconds(1000)), [this] {
    guard_.Post(context_->executor, [this] { Drain(); });
    guard_.Release();
  });
}

bool PushReactor::ApplyGroup(const std::vector<v1::Batch>& group) {
  absl::Status received =
      ReceiveBatches(*context_, peer_, terms_.limits, terms_.peer_feed_epoch, group);
  if (received.ok()) return true;
  spdlog::warn("push from {}: {}", peer_.node_id, received.ToString());
  context_->registry->RecordError(peer_.node_id, std::string(received.message()), received.code());
  guard_.FinishOnce(ToGrpcStatus(received));
  return false;
}

void PushReactor::OnWriteDone(bool ok) {
  if (!ok) {
    guard_.FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "push stream broken"));
    return;
  }
  bool finish = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ack_pending_) {
      ack_pending_ = false;
      ack_.set_up_to(acked_);
      ack_.set_throttled(throttled_);
      guard_.StartUnlessFinished([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { StartWrite(&ack_); });
    } else {
      writing_ = false;
      finish = AllDoneLocked();
    }
  }
  if (finish) guard_.FinishOnce(grpc::Status::OK);
}

void PushReactor::OnCancel() {
  guard_.FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "push cancelled"));
}

void PushReactor::OnDone() {
  {
    // A hold ends with its stream: `peers` shows it only while it holds something back.
    std::lock_guard<std::mutex> lock(mu_);
    if (!throttled_.empty()) context_->registry->SetThrottled(peer_.node_id, "");
  }
  guard_.Done();
}

}  // namespace ldgs::daemon::replication

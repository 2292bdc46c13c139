#include "daemon/replication/push_sender.h"

#include <algorithm>
#include <utility>

#include "common/text.h"
#include "daemon/replication/restore_recovery.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon::replication {
namespace {
constexpr size_t kMaxThrottledBytes = 200;  // of a peer's reason for holding us back
}  // namespace

PushSender::PushSender(ReplicationContext* context, PeerView peer, BatchLimits limits,
                       uint64_t from, bool recovering, bool handing_back, Done done)
    : context_(context),
      tail_(context, std::move(peer), limits, from),
      done_(std::move(done)),
      marked_(!recovering),
      handed_back_(!handing_back),
      acked_(from),
      sent_(from) {}

void PushSender::Start(v1::Replication::Stub* stub, grpc::ClientContext* call) {
  call_ = call;
  stub->async()->Push(call, this);
  AddHold();  // the writes start from the executor, outside reactions
  StartRead(&ack_);
  StartCall();
  PostPump();
}

void PushSender::PostPump() {
  context_->executor([this] { Pump(); });
}

bool PushSender::IsOver() {
  std::lock_guard<std::mutex> lock(mu_);
  return over_;
}

void PushSender::Over() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    writer_ = Writer::kDone;
  }
  RemoveHold();  // last: OnDone may follow, and the owner delete this
}

void PushSender::Pump() {
  const std::string& peer_id = tail_.peer().node_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (in_flight_.size() >= kWindow && !over_) {
      writer_ = Writer::kWaitingForAck;
      return;
    }
  }
  if (IsOver()) return Over();
  absl::StatusOr<v1::Batch> batch = tail_.Next();
  if (!batch.ok()) {
    spdlog::error("push to {}: {}", peer_id, batch.status().ToString());
    context_->registry->RecordError(peer_id, "push: " + std::string(batch.status().message()),
                                    batch.status().code());
    call_->TryCancel();
    return Over();
  }
  if (batch->up_to() > tail_.cursor()) return Write(std::move(*batch));
  bool skipped = false;  // the cursor moved past what was sent and acknowledged
  {
    // Wait for the acks of what is in flight before waiting for new records. A stream that
    // ends now leaves them unacknowledged: a recovery is not finished on them.
    std::lock_guard<std::mutex> lock(mu_);
    if (acked_ < sent_ && !over_) {
      writer_ = Writer::kWaitingForAck;
      return;
    }
    skipped = tail_.cursor() > acked_;
  }
  if (IsOver()) return Over();
  // The peer has all of our feed again: later sessions may resume from its checkpoint.
  if (!marked_) marked_ = FinishRecovery(context_->state, peer_id).ok();
  if (!handed_back_) handed_back_ = FinishHandBack(context_->state, peer_id).ok();
  // What it skipped was not for the peer: the peer has everything through the cursor.
  if (skipped) context_->registry->RecordSent(peer_id, tail_.cursor());
  WaitForChange();
}

void PushSender::Write(v1::Batch batch) {
  bool over = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    over = over_;
    if (!over) {
      writer_ = Writer::kWriting;
      in_flight_.push_back(batch.up_to());
      sent_ = batch.up_to();
    }
  }
  if (over) return Over();
  tail_.Advance(batch.up_to());
  writing_ = std::move(batch);
  StartWrite(&writing_);
}

void PushSender::WaitForChange() {
  bool over = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    over = over_;
    if (!over) writer_ = Writer::kWaitingForChange;
  }
  if (over) return Over();
  // The wake may run at once on a committing thread and end the stream (the turn is its):
  // this hold keeps the stream, and so this sender, until the registration is over. The
  // write hold is still on, so the stream is live to add it to.
  AddHold();
  if (tail_.WaitForChange([this] { Resume(); })) {
    // The acks ended while registering: OnReadDone may have missed the registration.
    if (IsOver() && tail_.CancelWait()) Resume();
  }
  RemoveHold();  // last: OnDone may follow
}

void PushSender::Resume() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    writer_ = Writer::kPumping;
  }
  PostPump();
}

void PushSender::OnWriteDone(bool ok) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ok) over_ = true;  // the stream broke; its acks end too
    writer_ = Writer::kPumping;
  }
  if (!ok) call_->TryCancel();
  PostPump();
}

void PushSender::OnReadDone(bool ok) {
  const std::string& peer_id = tail_.peer().node_id;
  if (!ok) {
    // The peer ended the stream, or the call broke or was cancelled: no more writes.
    bool pump = false;
    bool cancel_wait = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      over_ = true;
      if (writer_ == Writer::kWaitingForAck) {
        writer_ = Writer::kPumping;
        pump = true;
      }
      cancel_wait = writer_ == Writer::kWaitingForChange;
    }
    if (pump) PostPump();
    if (cancel_wait && tail_.CancelWait()) Resume();
    return;
  }
  // The peer holds our pushes back, or stopped: what it says is shown, bounded.
  std::string throttled(TruncateUtf8(ack_.throttled(), kMaxThrottledBytes));
  if (throttled != throttled_) {
    throttled_ = std::move(throttled);
    context_->registry->SetThrottled(peer_id, throttled_);
    if (!throttled_.empty()) {
      spdlog::warn("push to {}: held back: {}", peer_id, EscapeForTerminal(throttled_));
    }
  }
  bool pump = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // An ack of more than was sent acknowledges what was sent, no more.
    const uint64_t up_to = std::min(ack_.up_to(), sent_);
    if (up_to > acked_) {
      acked_ = up_to;
      while (!in_flight_.empty() && in_flight_.front() <= acked_) in_flight_.pop_front();
      context_->registry->RecordSent(peer_id, acked_);
      progress_ = true;
      if (writer_ == Writer::kWaitingForAck) {
        writer_ = Writer::kPumping;
        pump = true;
      }
    }
  }
  StartRead(&ack_);
  if (pump) PostPump();
}

void PushSender::OnDone(const grpc::Status& status) {
  if (!throttled_.empty()) context_->registry->SetThrottled(tail_.peer().node_id, "");
  done_(status);  // last: the owner may delete this
}

}  // namespace ldgs::daemon::replication

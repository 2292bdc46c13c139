#include "daemon/replication/pull_receiver.h"

#include <utility>

#include "daemon/replication/inbound_outcome.h"

namespace ldgs::daemon::replication {

PullReceiver::PullReceiver(ReplicationContext* context, PeerView peer, BatchLimits limits,
                           std::string feed_epoch, Announced announced, Done done)
    : context_(context),
      peer_(std::move(peer)),
      limits_(limits),
      feed_epoch_(std::move(feed_epoch)),
      announced_(std::move(announced)),
      done_(std::move(done)) {}

void PullReceiver::Start(v1::Replication::Stub* stub, grpc::ClientContext* call,
                         v1::PullRequest request) {
  call_ = call;
  request_ = std::move(request);
  stub->async()->Pull(call, &request_, this);
  AddHold();  // reads after the first start on the executor, outside reactions
  StartRead(&read_[0]);
  StartCall();
}

void PullReceiver::OnReadDone(bool ok) {
  if (!ok) {
    RemoveHold();  // the stream ended: no more reads
    return;
  }
  context_->executor([this] { Receive(); });
}

void PullReceiver::Receive() {
  absl::Status received = announced_(read_[0]);
  if (received.ok()) received = ReceiveBatches(*context_, peer_, limits_, feed_epoch_, read_);
  if (!received.ok()) {
    ended_ = std::move(received);
    call_->TryCancel();
    RemoveHold();  // last: OnDone may follow
    return;
  }
  progress_ = true;
  read_[0].Clear();
  StartRead(&read_[0]);
}

void PullReceiver::OnDone(const grpc::Status& status) {
  done_(ended_, status);  // last: the owner may delete this
}

}  // namespace ldgs::daemon::replication

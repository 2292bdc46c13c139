#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "daemon/replication/replication_context.h"
#include "daemon/replication/stream_guard.h"
#include "grpcpp/support/server_callback.h"
#include "ldgs/v1/replication.pb.h"

namespace ldgs::daemon::replication {

// Server side of Push, pipelined: it reads ahead while earlier batches are checked and
// applied, so the dialer may keep several batches in flight. Whatever has queued up is
// applied as one group on the storage executor: its records checked across the cores, then
// written with the peer's checkpoint in one synced write (a group commit), then
// acknowledged with the group's last `up_to` (acks are cumulative). A bad batch ends the
// stream with its status, and its group writes nothing. Deletes itself when done.
class PushReactor final : public grpc::ServerBidiReactor<v1::Batch, v1::PushAck> {
 public:
  PushReactor(ReplicationContext* context, PeerView peer, SessionTerms terms);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Batches read ahead before reading pauses until the queue is taken.
  static constexpr size_t kReadAhead = 4;

  // On the executor: applies the queue a group at a time until it is empty.
  void Drain();
  // Checks and applies one group; false (the stream finished with the reason) on failure.
  bool ApplyGroup(const std::vector<v1::Batch>& group);
  // Acknowledges everything through `up_to` (now, or after the ack in flight).
  void SendAck(uint64_t up_to);
  // Over the rate limit: tells the dialer why, and drains again after `wait`.
  void HoldBack(std::chrono::milliseconds wait);
  void StartReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether the dialer is done and every batch it sent is applied and acknowledged.
  bool AllDoneLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ReplicationContext* context_;
  const PeerView peer_;
  const SessionTerms terms_;  // negotiated in Hello: batch limits, the dialer's feed epoch
  StreamGuard guard_;

  std::mutex mu_;
  v1::Batch reading_ ABSL_GUARDED_BY(mu_);             // the buffer of the read in flight
  std::deque<v1::Batch> queued_ ABSL_GUARDED_BY(mu_);  // read, not applied yet
  size_t applying_ ABSL_GUARDED_BY(mu_) = 0;           // batches taken from the queue, not applied
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;      // the read-ahead was full
  bool draining_ ABSL_GUARDED_BY(mu_) = false;         // a Drain task runs
  bool dialer_done_ ABSL_GUARDED_BY(mu_) = false;      // it closed its side
  bool writing_ ABSL_GUARDED_BY(mu_) = false;          // an ack is in flight
  bool ack_pending_ ABSL_GUARDED_BY(mu_) = false;      // another to send after it
  uint64_t acked_ ABSL_GUARDED_BY(mu_) = 0;            // applied through here
  std::string throttled_ ABSL_GUARDED_BY(mu_);         // why the dialer is held back
  v1::PushAck ack_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ldgs::daemon::replication

#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "daemon/replication/feed_tail.h"
#include "daemon/replication/replication_context.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/client_callback.h"
#include "ldgs/v1/replication.grpc.pb.h"

namespace ldgs::daemon::replication {

// The dialer's Push on gRPC's client callback API: this node's feed up to the peer from the
// peer's checkpoint, several batches in flight, acknowledged cumulatively (`up_to`). Caught
// up, it waits on the change notifier: no thread held and no polling. Batches are built and
// written by one task at a time on the storage executor; acks are read by gRPC's threads.
//
// When `recovering` (this node was restored) or `handing_back` (the peer was), it finishes
// that the first time the peer has everything. The stream ends when the peer ends it, the
// call is cancelled or a batch cannot be built; then `done` runs once, with the status.
class PushSender final : public grpc::ClientBidiReactor<v1::Batch, v1::PushAck> {
 public:
  using Done = std::function<void(const grpc::Status&)>;
  PushSender(ReplicationContext* context, PeerView peer, BatchLimits limits, uint64_t from,
             bool recovering, bool handing_back, Done done);

  // Starts the Push on `call` (prepared by the caller, who keeps it until `done`).
  void Start(v1::Replication::Stub* stub, grpc::ClientContext* call);
  // Whether the peer acknowledged anything new.
  bool made_progress() const { return progress_; }

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  // Batches sent before the first is acknowledged (push_reactor.h reads that many ahead).
  static constexpr size_t kWindow = 4;
  // Who moves the writing side on. Exactly one of these at a time, and the write hold on
  // the stream lasts until kDone: no StartWrite can follow OnDone.
  enum class Writer { kPumping, kWriting, kWaitingForAck, kWaitingForChange, kDone };

  // On the executor: writes the next batch, or waits for acks or for the feed to grow.
  void Pump();
  void Write(v1::Batch batch);
  void WaitForChange();
  // Gives the turn back to the executor (after a wait).
  void Resume();
  void PostPump();
  bool IsOver();
  // The stream is ending: no more writes (called by the holder of the writer's turn).
  void Over();

  ReplicationContext* context_;
  FeedTail tail_;  // its cursor is what was sent
  const Done done_;
  grpc::ClientContext* call_ = nullptr;
  bool marked_;       // the recovery is finished (or there was none); Pump only
  bool handed_back_;  // likewise the hand-back
  v1::Batch writing_;
  v1::PushAck ack_;        // OnReadDone only
  std::string throttled_;  // OnReadDone only: what the peer said last
  std::atomic<bool> progress_{false};

  std::mutex mu_;
  Writer writer_ ABSL_GUARDED_BY(mu_) = Writer::kPumping;
  bool over_ ABSL_GUARDED_BY(mu_) = false;  // the acks ended or a write failed
  uint64_t acked_ ABSL_GUARDED_BY(mu_);
  // The `up_to` of the last batch written. The tail's cursor may be past it: a wait moves
  // it over commits for the hub alone, which are never sent to a sister.
  uint64_t sent_ ABSL_GUARDED_BY(mu_);
  std::deque<uint64_t> in_flight_ ABSL_GUARDED_BY(mu_);  // up_to of each unacknowledged batch
};

}  // namespace ldgs::daemon::replication

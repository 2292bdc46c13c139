#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "daemon/replication/batch_limits.h"
#include "daemon/replication/replication_context.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/client_callback.h"
#include "ldgs/v1/replication.grpc.pb.h"

namespace ldgs::daemon::replication {

// The dialer's Pull on gRPC's client callback API: the peer's feed, tailed. Each batch is
// received on the storage executor as the Push server receives its batches (ReceiveBatches:
// checked, applied with its checkpoint in one synced write, recorded), then the next is
// read. No thread is held between batches.
//
// `announced` sees each batch first (the hub chain it may carry); a non-OK status ends the
// stream with it. The stream also ends when a batch is refused, the peer ends it or the call
// is cancelled; then `done` runs once with why we ended it (OK if we did not) and the call's
// status.
class PullReceiver final : public grpc::ClientReadReactor<v1::Batch> {
 public:
  using Announced = std::function<absl::Status(const v1::Batch&)>;
  using Done = std::function<void(const absl::Status& ended, const grpc::Status& status)>;
  PullReceiver(ReplicationContext* context, PeerView peer, BatchLimits limits,
               std::string feed_epoch, Announced announced, Done done);

  // Starts the Pull of `request` on `call` (prepared by the caller, kept until `done`).
  void Start(v1::Replication::Stub* stub, grpc::ClientContext* call, v1::PullRequest request);
  // Whether a batch was applied.
  bool made_progress() const { return progress_; }

  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  // On the executor: receives the batch just read, then reads the next.
  void Receive();

  ReplicationContext* context_;
  const PeerView peer_;
  const BatchLimits limits_;      // negotiated in Hello
  const std::string feed_epoch_;  // the peer's, for our checkpoint in its feed
  const Announced announced_;
  const Done done_;
  grpc::ClientContext* call_ = nullptr;
  v1::PullRequest request_;
  std::vector<v1::Batch> read_ = std::vector<v1::Batch>(1);  // the batch being read or received
  absl::Status ended_;  // Receive only, until the read hold is removed
  std::atomic<bool> progress_{false};
};

}  // namespace ldgs::daemon::replication

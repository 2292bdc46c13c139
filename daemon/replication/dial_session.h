#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/replication/dial_peer.h"
#include "daemon/replication/pull_receiver.h"
#include "daemon/replication/push_sender.h"
#include "daemon/replication/replication_context.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "ldgs/v1/replication.grpc.pb.h"

namespace ldgs::daemon::replication {

// One replication session with a dialed peer: Hello, then Pull (the peer's feed down,
// tailed) and Push (this node's feed up) over one channel, on gRPC's client callback API.
// It has no thread of its own: gRPC's threads run the reactions and the storage executor
// the storage work, so a node may dial many peers. Either stream ending ends the session;
// then `ended` runs once, last, with why and whether the session made progress.
class DialSession {
 public:
  using Ended = std::function<void(const absl::Status& why, bool made_progress)>;
  // `context` must outlive the session.
  DialSession(ReplicationContext* context, DialPeer peer, ReconnectPolicy policy, Ended ended);
  DialSession(const DialSession&) = delete;
  DialSession& operator=(const DialSession&) = delete;

  void Start();
  // Ends the session soon (thread-safe); `ended` still runs.
  void Cancel();

 private:
  // On the executor, after Hello: checks the welcome and starts both streams.
  void Welcomed(const grpc::Status& status);
  absl::Status StartStreams();
  // Records the hub chain the hub announced; returns whether it changed.
  absl::StatusOr<bool> LearnChain(const google::protobuf::RepeatedPtrField<std::string>& announced);
  // A Pull batch's announcement: a new hub chain ends the session (it pulls again).
  absl::Status Announced(const v1::Batch& batch);
  void PullDone(const absl::Status& ended, const grpc::Status& status);
  void PushDone(const grpc::Status& status);
  void Hold();
  // The last release ends the session.
  void Release();
  absl::Status WhyEnded() const;

  ReplicationContext* context_;
  const DialPeer peer_;
  const ReconnectPolicy policy_;
  const Ended ended_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Replication::Stub> stub_;
  grpc::ClientContext hello_call_;
  grpc::ClientContext pull_call_;
  grpc::ClientContext push_call_;
  v1::HelloRequest hello_;
  v1::HelloResponse welcome_;
  std::unique_ptr<PullReceiver> pull_;
  std::unique_ptr<PushSender> push_;
  std::atomic<bool> progress_{false};  // a new hub chain was learnt

  mutable std::mutex mu_;
  int holds_ ABSL_GUARDED_BY(mu_) = 0;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool streaming_ ABSL_GUARDED_BY(mu_) = false;   // the streams were started
  absl::Status setup_ ABSL_GUARDED_BY(mu_);       // why Hello or the setup failed
  absl::Status pull_ended_ ABSL_GUARDED_BY(mu_);  // why we ended the Pull
  grpc::Status pull_status_ ABSL_GUARDED_BY(mu_);
  grpc::Status push_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ldgs::daemon::replication

#pragma once

#include <mutex>

#include "daemon/replication/replication_context.h"
#include "ldgs/v1/replication.grpc.pb.h"

namespace ldgs::daemon::replication {

// The node-to-node service, on gRPC's callback API: one small reactor per stream and no
// thread per stream, so a hub can hold many open Pull streams. Hello answers only enrolled,
// unrevoked node IDs; Push and Pull require the session proof from Hello.
class ReplicationService final : public v1::Replication::CallbackService {
 public:
  explicit ReplicationService(ReplicationContext* context);

  grpc::ServerUnaryReactor* Hello(grpc::CallbackServerContext* call,
                                  const v1::HelloRequest* request,
                                  v1::HelloResponse* response) override;
  grpc::ServerBidiReactor<v1::Batch, v1::PushAck>* Push(grpc::CallbackServerContext* call) override;
  grpc::ServerWriteReactor<v1::Batch>* Pull(grpc::CallbackServerContext* call,
                                            const v1::PullRequest* request) override;
  grpc::ServerUnaryReactor* Join(grpc::CallbackServerContext* call, const v1::JoinRequest* request,
                                 v1::JoinResponse* response) override;

 private:
  // The enrolled, unrevoked peer behind a call's session proof, with its session's terms.
  struct Caller {
    PeerView peer;
    SessionTerms terms;
  };
  absl::StatusOr<Caller> Authenticate(const grpc::CallbackServerContext& call) const;
  absl::StatusOr<v1::Enrollment> ActiveEnrollment(std::string_view node_id) const;

  absl::StatusOr<v1::Relation> RedeemInvite(const v1::JoinRequest& request);

  ReplicationContext* context_;
  std::mutex join_mu_;  // an invite is redeemed once: check and mark under one lock
};

}  // namespace ldgs::daemon::replication

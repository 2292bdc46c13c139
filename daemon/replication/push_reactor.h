#pragma once

#include "daemon/replication/replication_context.h"
#include "daemon/replication/stream_guard.h"
#include "grpcpp/support/server_callback.h"
#include "ldgs/v1/replication.pb.h"

namespace ldgs::daemon::replication {

// Server side of Push: reads a batch, verifies and applies it on the storage executor
// (with the peer's checkpoint, atomically), acknowledges it, reads the next. A bad batch
// ends the stream with its status and writes nothing. Deletes itself when done.
class PushReactor final : public grpc::ServerBidiReactor<v1::Batch, v1::PushAck> {
 public:
  PushReactor(ReplicationContext* context, PeerView peer, SessionTerms terms);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void ApplyBatch();

  ReplicationContext* context_;
  const PeerView peer_;
  const SessionTerms terms_;  // negotiated in Hello: batch limits, the dialer's feed epoch
  StreamGuard guard_;
  v1::Batch batch_;
  v1::PushAck ack_;
};

}  // namespace ldgs::daemon::replication

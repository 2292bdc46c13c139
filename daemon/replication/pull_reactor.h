#pragma once

#include <string>
#include <vector>

#include "daemon/replication/feed_tail.h"
#include "daemon/replication/replication_context.h"
#include "daemon/replication/stream_guard.h"
#include "grpcpp/support/server_callback.h"
#include "ldgs/v1/replication.pb.h"

namespace ldgs::daemon::replication {

// Server side of Pull: sends this node's feed after the dialer's checkpoint, filtered for
// the dialer, one batch at a time; when caught up it waits on the change notifier (no
// thread held) and sends new changes as they commit. The feed end is the dialer's Push's
// too (feed_tail.h). Deletes itself when done.
class PullReactor final : public grpc::ServerWriteReactor<v1::Batch> {
 public:
  PullReactor(ReplicationContext* context, PeerView peer, BatchLimits limits, uint64_t since);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // On the storage executor: builds the next batch and writes it, or waits for a change.
  void SendNext();
  void WaitForChange();

  ReplicationContext* context_;
  StreamGuard guard_;
  FeedTail tail_;            // within the limits negotiated in Hello
  bool sent_first_ = false;  // the first batch goes out even when empty: it tells the head
  v1::Batch batch_;
  std::vector<std::string> chain_sent_;  // the hub chain last told a member
};

}  // namespace ldgs::daemon::replication

#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "daemon/replication/batch_limits.h"
#include "daemon/replication/replication_context.h"
#include "daemon/replication/visibility_filter.h"
#include "ldgs/v1/replication.pb.h"

namespace ldgs::daemon::replication {

// The sending end of this node's feed to one peer, shared by both streams that send it: the
// Pull server (down to a member or sister) and the dialer's Push (up to a hub, or to a
// sister). It knows where the peer is in the feed, builds the next batch for it, and waits
// for the feed to grow without holding a thread.
//
// Next and Advance are called by one task at a time; WaitForChange and CancelWait from any
// thread.
class FeedTail {
 public:
  FeedTail(const ReplicationContext* context, PeerView peer, BatchLimits limits, uint64_t cursor);

  // The next batch after the cursor, filtered for the peer (BuildOutboundBatch): `up_to`
  // equal to cursor() means nothing new.
  absl::StatusOr<v1::Batch> Next() const;
  uint64_t cursor() const;
  // The peer was sent everything through `up_to`.
  void Advance(uint64_t up_to);

  // Runs `wake` once when the feed may hold something for the peer after the cursor: on the
  // notifying thread, or at once on this one (then it returns false). Commits for the hub
  // alone do not wake a peer that is not this node's hub; the cursor moves past them.
  bool WaitForChange(std::function<void()> wake);
  // True when the registered wait was removed before its wake ran: it never will.
  bool CancelWait();

  const PeerView& peer() const { return peer_; }

 private:
  const ReplicationContext* context_;
  const PeerView peer_;
  const BatchLimits limits_;
  mutable std::mutex mu_;
  uint64_t cursor_ ABSL_GUARDED_BY(mu_);
  uint64_t wait_id_ ABSL_GUARDED_BY(mu_) = 0;     // the notifier registration, or 0
  uint64_t wait_of_id_ ABSL_GUARDED_BY(mu_) = 0;  // which wait it is for
  uint64_t waits_ ABSL_GUARDED_BY(mu_) = 0;       // waits begun
  uint64_t woken_ ABSL_GUARDED_BY(mu_) = 0;       // the last wait whose wake ran
};

}  // namespace ldgs::daemon::replication

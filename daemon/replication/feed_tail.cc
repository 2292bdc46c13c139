#include "daemon/replication/feed_tail.h"

#include <algorithm>
#include <utility>

#include "daemon/replication/outbound_batch.h"

namespace ldgs::daemon::replication {

FeedTail::FeedTail(const ReplicationContext* context, PeerView peer, BatchLimits limits,
                   uint64_t cursor)
    : context_(context), peer_(std::move(peer)), limits_(limits), cursor_(cursor) {}

absl::StatusOr<v1::Batch> FeedTail::Next() const {
  return BuildOutboundBatch(*context_->records, cursor(), context_->Self(), peer_, limits_,
                            context_->revocations->Contains(peer_.node_id));
}

uint64_t FeedTail::cursor() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cursor_;
}

void FeedTail::Advance(uint64_t up_to) {
  std::lock_guard<std::mutex> lock(mu_);
  cursor_ = std::max(cursor_, up_to);
}

bool FeedTail::WaitForChange(std::function<void()> wake) {
  // What is for a hub alone goes only up, from its origin (visibility_filter.h): towards a
  // member or a sister those commits are never sent. A peer taking its own records back
  // (wants_own) takes its hub-only ones too.
  const bool beyond_hub_only = peer_.relation != v1::RELATION_HUB && !peer_.wants_own;
  uint64_t wait = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    wait = ++waits_;
  }
  const uint64_t id = context_->notifier->CallWhenBeyond(
      cursor(), beyond_hub_only, [this, wait, wake = std::move(wake)](uint64_t skip_to) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          woken_ = std::max(woken_, wait);
          if (wait_of_id_ == wait) wait_id_ = 0;
          cursor_ = std::max(cursor_, skip_to);
        }
        wake();
      });
  if (id == 0) return false;
  std::lock_guard<std::mutex> lock(mu_);
  // Its wake may have run already, and the next wait registered after it.
  if (woken_ < wait) {
    wait_id_ = id;
    wait_of_id_ = wait;
  }
  return true;
}

bool FeedTail::CancelWait() {
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::swap(id, wait_id_);
  }
  return id != 0 && context_->notifier->Cancel(id);
}

}  // namespace ldgs::daemon::replication

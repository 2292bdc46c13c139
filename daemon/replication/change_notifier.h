#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "storage/record_store.h"

namespace ldgs::daemon::replication {

// Tells waiters that the store's feed grew. The store tells it every commit that added feed
// entries; Pull streams, push loops and waiting admin reads wait here instead of polling.
// Thread-safe.
//
// A hub with thousands of members each holding a Pull stream commits their pushes all the
// time, and nearly all of it is for the hub alone. Waking every stream to scan each commit
// would cost streams x commits, so a waiter may ask to be woken only by entries beyond the
// hub's audience: the commits for the hub alone move its position on without waking it.
class ChangeNotifier {
 public:
  explicit ChangeNotifier(uint64_t last_seq) : last_seq_(last_seq), hub_only_from_(last_seq) {}

  void Notify(const storage::FeedCommit& commit);
  // Wakes every blocking waiter without a change (shutdown).
  void WakeAll();
  uint64_t last_seq() const;

  // Blocks until the feed has an entry after `after`, `deadline` passes or WakeAll is
  // called; returns the last sequence.
  uint64_t WaitBeyond(uint64_t after, std::chrono::steady_clock::time_point deadline);

  // What a waiting callback is told: it may move its position to `skip_to` (>= its `after`)
  // without reading the entries up to there, none of which is for it.
  using Callback = std::function<void(uint64_t skip_to)>;
  // Runs `callback` once, on the notifying thread, as soon as the feed has an entry after
  // `after` (at once, on this thread, if it already has) that may be for the waiter: with
  // `beyond_hub_only`, entries of FeedCommit::hub_audience_only commits are not. Returns an
  // id for Cancel, or 0 when the callback already ran.
  uint64_t CallWhenBeyond(uint64_t after, bool beyond_hub_only, Callback callback);
  // True when the callback was removed before it ran; false when it ran or is running.
  bool Cancel(uint64_t id);
  // Runs every registered callback now, without a feed change: something else its waiters
  // send changed (the hub chain).
  void RunCallbacks();

 private:
  struct Waiter {
    uint64_t after;
    bool beyond_hub_only;
    Callback callback;
  };
  // Where a waiter at `after` may move to: past the entries known to be for the hub alone.
  uint64_t SkipToLocked(const Waiter& waiter) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable std::mutex mu_;
  std::condition_variable changed_;
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_);
  // Every entry in (hub_only_from_, last_seq_] is for the hub alone, told in order.
  uint64_t hub_only_from_ ABSL_GUARDED_BY(mu_);
  uint64_t wake_generation_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);         // woken by any entry
  std::map<uint64_t, Waiter> beyond_waiters_ ABSL_GUARDED_BY(mu_);  // beyond_hub_only
};

}  // namespace ldgs::daemon::replication

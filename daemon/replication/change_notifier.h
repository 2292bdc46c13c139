#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

#include "absl/base/thread_annotations.h"

namespace ldgs::daemon::replication {

// Tells waiters that the store's feed grew. The store calls Notify after every commit that
// added feed entries; Pull streams, push loops and waiting admin reads wait here instead of
// polling. Thread-safe.
class ChangeNotifier {
 public:
  explicit ChangeNotifier(uint64_t last_seq) : last_seq_(last_seq) {}

  void Notify(uint64_t last_seq);
  // Wakes every blocking waiter without a change (shutdown).
  void WakeAll();
  uint64_t last_seq() const;

  // Blocks until the feed has an entry after `after`, `deadline` passes or WakeAll is
  // called; returns the last sequence.
  uint64_t WaitBeyond(uint64_t after, std::chrono::steady_clock::time_point deadline);

  // Runs `callback` once, on the notifying thread, as soon as the feed has an entry after
  // `after` (at once, on this thread, if it already has). Returns an id for Cancel, or 0
  // when the callback already ran.
  uint64_t CallWhenBeyond(uint64_t after, std::function<void()> callback);
  // True when the callback was removed before it ran; false when it ran or is running.
  bool Cancel(uint64_t id);
  // Runs every registered callback now, without a feed change: something else its waiters
  // send changed (the hub chain).
  void RunCallbacks();

 private:
  struct Waiter {
    uint64_t after;
    std::function<void()> callback;
  };
  mutable std::mutex mu_;
  std::condition_variable changed_;
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_);
  uint64_t wake_generation_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ldgs::daemon::replication

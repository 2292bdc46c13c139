#include "daemon/replication/change_notifier.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace ldgs::daemon::replication {

uint64_t ChangeNotifier::SkipToLocked(const Waiter& waiter) const {
  return waiter.beyond_hub_only && waiter.after >= hub_only_from_ ? last_seq_ : waiter.after;
}

void ChangeNotifier::Notify(const storage::FeedCommit& commit) {
  std::vector<std::pair<Callback, uint64_t>> ready;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // An earlier commit told late: a later one already woke whoever waited below it.
    if (commit.last_seq <= last_seq_) return;
    const bool in_order = commit.first_seq == last_seq_ + 1;
    if (in_order && commit.hub_audience_only) {
      // The waiters for entries beyond the hub sleep on; their skip point moves with it.
      last_seq_ = commit.last_seq;
    } else {
      // Up to the old head they skip what was for the hub alone; from there they read.
      for (auto it = beyond_waiters_.begin(); it != beyond_waiters_.end();) {
        ready.emplace_back(std::move(it->second.callback), SkipToLocked(it->second));
        it = beyond_waiters_.erase(it);
      }
      last_seq_ = commit.last_seq;
      hub_only_from_ = last_seq_;
    }
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.after < last_seq_) {
        ready.emplace_back(std::move(it->second.callback), it->second.after);
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  changed_.notify_all();
  // Outside the lock: a callback may register again.
  for (auto& [callback, skip_to] : ready) callback(skip_to);
}

void ChangeNotifier::WakeAll() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++wake_generation_;
  }
  changed_.notify_all();
}

uint64_t ChangeNotifier::last_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_seq_;
}

uint64_t ChangeNotifier::WaitBeyond(uint64_t after,
                                    std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t generation = wake_generation_;
  changed_.wait_until(lock, deadline,
                      [&] { return last_seq_ > after || wake_generation_ != generation; });
  return last_seq_;
}

uint64_t ChangeNotifier::CallWhenBeyond(uint64_t after, bool beyond_hub_only, Callback callback) {
  uint64_t skip_to = after;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Waiter waiter{after, beyond_hub_only, std::move(callback)};
    // Registered at the head, or behind it by entries for the hub alone only: it waits.
    if (after >= last_seq_ || SkipToLocked(waiter) == last_seq_) {
      const uint64_t id = next_id_++;
      waiter.after = std::max(after, SkipToLocked(waiter));
      (beyond_hub_only ? beyond_waiters_ : waiters_).emplace(id, std::move(waiter));
      return id;
    }
    callback = std::move(waiter.callback);
  }
  callback(skip_to);
  return 0;
}

void ChangeNotifier::RunCallbacks() {
  std::vector<std::pair<Callback, uint64_t>> ready;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto* waiters : {&waiters_, &beyond_waiters_}) {
      for (auto& [id, waiter] : *waiters) {
        ready.emplace_back(std::move(waiter.callback), SkipToLocked(waiter));
      }
      waiters->clear();
    }
  }
  for (auto& [callback, skip_to] : ready) callback(skip_to);
}

bool ChangeNotifier::Cancel(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  return waiters_.erase(id) > 0 || beyond_waiters_.erase(id) > 0;
}

}  // namespace ldgs::daemon::replication

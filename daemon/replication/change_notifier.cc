#include "daemon/replication/change_notifier.h"

#include <vector>

namespace ldgs::daemon::replication {

void ChangeNotifier::Notify(uint64_t last_seq) {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (last_seq <= last_seq_) return;
    last_seq_ = last_seq;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.after < last_seq_) {
        ready.push_back(std::move(it->second.callback));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  changed_.notify_all();
  // Outside the lock: a callback may register again.
  for (auto& callback : ready) callback();
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

uint64_t ChangeNotifier::CallWhenBeyond(uint64_t after, std::function<void()> callback) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (last_seq_ <= after) {
      const uint64_t id = next_id_++;
      waiters_.emplace(id, Waiter{after, std::move(callback)});
      return id;
    }
  }
  callback();
  return 0;
}

void ChangeNotifier::RunCallbacks() {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, waiter] : waiters_) ready.push_back(std::move(waiter.callback));
    waiters_.clear();
  }
  for (auto& callback : ready) callback();
}

bool ChangeNotifier::Cancel(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  return waiters_.erase(id) > 0;
}

}  // namespace ldgs::daemon::replication

#include "daemon/replication/peer_registry.h"

#include <algorithm>
#include <vector>

#include "common/clock.h"

namespace ldgs::daemon::replication {

uint64_t PeerRegistry::StreamOpened(const std::string& peer, std::function<void()> cancel) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t id = next_id_++;
  cancels_[peer][id] = std::move(cancel);
  ++states_[peer].open_streams;
  return id;
}

void PeerRegistry::StreamClosed(const std::string& peer, uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cancels_[peer].erase(id) > 0) --states_[peer].open_streams;
}

void PeerRegistry::SetSessionUp(const std::string& peer, bool up) {
  std::lock_guard<std::mutex> lock(mu_);
  states_[peer].session_up = up;
}

void PeerRegistry::RecordSent(const std::string& peer, uint64_t up_to) {
  std::lock_guard<std::mutex> lock(mu_);
  State& state = states_[peer];
  state.sent_up_to = up_to;
  state.sent_known = true;
  state.last_sync_us = NowMicros();
}

void PeerRegistry::RecordReceived(const std::string& peer, uint64_t up_to, uint64_t head,
                                  uint64_t forks) {
  std::lock_guard<std::mutex> lock(mu_);
  State& state = states_[peer];
  state.received_up_to = up_to;
  state.peer_head = head;
  state.received_known = true;
  state.forks += forks;
  state.last_sync_us = NowMicros();
}

void PeerRegistry::RecordRefused(const std::string& peer, uint64_t count,
                                 const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  State& state = states_[peer];
  state.refused += count;
  state.last_refusal = reason;
}

void PeerRegistry::RecordError(const std::string& peer, const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  states_[peer].last_error = error;
}

int PeerRegistry::OpenStreams(const std::string& peer) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(peer);
  return it == states_.end() ? 0 : it->second.open_streams;
}

bool PeerRegistry::TakeRecords(const std::string& peer, size_t records, size_t per_minute) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& bucket = buckets_[peer];
  const double capacity = static_cast<double>(per_minute);
  if (bucket.tokens < 0) {
    bucket.tokens = capacity;
  } else {
    const double minutes = std::chrono::duration<double>(now - bucket.refilled).count() / 60;
    bucket.tokens = std::min(capacity, bucket.tokens + minutes * capacity);
  }
  bucket.refilled = now;
  if (static_cast<double>(records) > bucket.tokens) return false;
  bucket.tokens -= static_cast<double>(records);
  return true;
}

void PeerRegistry::CancelStreams(const std::string& peer) {
  std::vector<std::function<void()>> cancels;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, cancel] : cancels_[peer]) cancels.push_back(cancel);
  }
  for (auto& cancel : cancels) cancel();  // outside the lock: a reactor may close at once
}

std::map<std::string, PeerRegistry::State> PeerRegistry::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return states_;
}

}  // namespace ldgs::daemon::replication

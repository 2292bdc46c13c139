#include "daemon/replication/peer_registry.h"

#include <algorithm>
#include <cctype>
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
                                  uint64_t records, uint64_t forks) {
  std::lock_guard<std::mutex> lock(mu_);
  State& state = states_[peer];
  ++state.batches_received;
  state.records_received += records;
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

void PeerRegistry::RecordError(const std::string& peer, const std::string& error,
                               absl::StatusCode code) {
  std::string kind = absl::StatusCodeToString(code);
  for (char& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::lock_guard<std::mutex> lock(mu_);
  State& state = states_[peer];
  state.last_error = error;
  if (!error.empty()) ++state.errors[kind];
}

int PeerRegistry::OpenStreams(const std::string& peer) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(peer);
  return it == states_.end() ? 0 : it->second.open_streams;
}

std::chrono::milliseconds PeerRegistry::TakeRecords(const std::string& peer, size_t records,
                                                    size_t per_minute, size_t burst) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& bucket = buckets_[peer];
  const double capacity = static_cast<double>(std::max(burst, per_minute));
  const double per_second = static_cast<double>(per_minute) / 60;
  if (bucket.tokens == kUnstarted) {
    bucket.tokens = capacity;
  } else {
    const double seconds = std::chrono::duration<double>(now - bucket.refilled).count();
    bucket.tokens = std::min(capacity, bucket.tokens + seconds * per_second);
  }
  bucket.refilled = now;
  // A take larger than the bucket (a batch over the burst) waits for a full bucket.
  const double needed = std::min(static_cast<double>(records), capacity);
  if (bucket.tokens < needed) {
    if (per_second <= 0) return std::chrono::hours(1);
    return std::chrono::milliseconds(
        static_cast<int64_t>((needed - bucket.tokens) / per_second * 1000) + 1);
  }
  bucket.tokens -= static_cast<double>(records);
  return std::chrono::milliseconds(0);
}

void PeerRegistry::SetThrottled(const std::string& peer, const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  states_[peer].throttled = why;
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

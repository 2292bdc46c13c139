#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"

namespace ldgs::daemon::replication {

// Live replication state per peer, for `ldgsctl peers`, `sync --wait` and revocation.
// In memory only: checkpoints that matter for correctness live in the store. Thread-safe.
class PeerRegistry {
 public:
  struct State {
    int open_streams = 0;
    bool session_up = false;  // dialed peers: Hello done and streams running
    int64_t last_sync_us = 0;
    uint64_t sent_up_to = 0;  // the peer applied our feed through here
    bool sent_known = false;
    uint64_t received_up_to = 0;  // we applied the peer's feed through here
    uint64_t peer_head = 0;       // the peer's last sequence, as of its last batch
    bool received_known = false;
    uint64_t forks = 0;
    uint64_t refused = 0;  // records skipped: the peer may not send them
    std::string last_refusal;
    std::string last_error;
    std::string throttled;  // why one side holds the other's pushes back; empty: it does not
    uint64_t batches_received = 0;  // applied from the peer (either direction of a session)
    uint64_t records_received = 0;  // in those batches, refused ones included
    // Errors by kind (the status code's name in lower case: "unavailable", ...), counted.
    std::map<std::string, uint64_t> errors;
  };

  // Registers an open stream of `peer`; `cancel` closes it (used on revocation). Returns
  // an id for StreamClosed.
  uint64_t StreamOpened(const std::string& peer, std::function<void()> cancel);
  void StreamClosed(const std::string& peer, uint64_t id);
  void SetSessionUp(const std::string& peer, bool up);

  void RecordSent(const std::string& peer, uint64_t up_to);
  // A batch of `records` from `peer` applied through `up_to` of its feed (whose head is
  // `head`), with `forks` refused as forks.
  void RecordReceived(const std::string& peer, uint64_t up_to, uint64_t head, uint64_t records,
                      uint64_t forks);
  // The last error with `peer` (shown by `peers`; "" clears it), counted by `code`'s kind.
  void RecordError(const std::string& peer, const std::string& error,
                   absl::StatusCode code = absl::StatusCode::kUnknown);
  // `count` records from `peer` skipped, the last for `reason`.
  void RecordRefused(const std::string& peer, uint64_t count, const std::string& reason);

  // Open streams of `peer` right now.
  int OpenStreams(const std::string& peer) const;

  // Counts `records` pushed by `peer` against a token bucket of `burst` records refilled at
  // `per_minute`: a catch-up of up to `burst` goes through at once, a sustained flood at
  // the rate. Zero when taken; otherwise nothing is taken and this returns how long until
  // the bucket holds enough (a take larger than the bucket waits for it full, then takes).
  std::chrono::milliseconds TakeRecords(const std::string& peer, size_t records, size_t per_minute,
                                        size_t burst);
  // Why `peer`'s pushes are held back (empty: they are not), for `peers`.
  void SetThrottled(const std::string& peer, const std::string& why);

  // Closes every open stream of `peer`.
  void CancelStreams(const std::string& peer);

  std::map<std::string, State> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, State> states_ ABSL_GUARDED_BY(mu_);
  static constexpr double kUnstarted = -1e300;
  struct Bucket {
    double tokens = kUnstarted;  // kUnstarted: full
    std::chrono::steady_clock::time_point refilled;
  };
  std::map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<uint64_t, std::function<void()>>> cancels_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace ldgs::daemon::replication

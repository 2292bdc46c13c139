#pragma once

#include <chrono>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "daemon/replication/session_terms.h"
#include "ldgs/v1/record.pb.h"

namespace ldgs::daemon::replication {

// 2: relations from enrollment (member hub), hub chains, revocations, derived ids.
inline constexpr uint32_t kProtocolVersion = 2;
inline constexpr size_t kNonceBytes = 32;

// What the dialed node signs in Hello: proves it holds its key, bound to this dialer's
// fresh nonce and to the challenge it hands out.
std::string HelloTranscript(std::string_view client_nonce, std::string_view client_id,
                            std::string_view challenge);
// What a joining node signs with an invite: binds the invite to its key and to the hub.
std::string JoinTranscript(std::string_view invite_secret, std::string_view node_id,
                           std::string_view hub_id);
inline constexpr size_t kInviteSecretBytes = 20;
// Sessions one node may hold at once (a dialer needs one; reconnects overlap briefly).
inline constexpr size_t kMaxSessionsPerNode = 8;

// What the dialer signs on every Push and Pull call: proves it holds its key, bound to the
// dialed node's challenge.
std::string SessionProofMessage(std::string_view challenge, std::string_view server_id);

// Metadata keys of the session proof on Push and Pull calls (values base32).
inline constexpr char kNodeIdHeader[] = "ldgs-node-id";
inline constexpr char kSessionHeader[] = "ldgs-session";
inline constexpr char kProofHeader[] = "ldgs-proof";

// Sessions handed out by Hello, bounded in number and lifetime. Only enrolled nodes get
// one, at most kMaxSessionsPerNode each, so the default bound of 100,000 is reached only
// past 12,500 members calling Hello at once. Opening and checking cost O(log n): a hub
// with ten thousand members reconnecting after a restart must not scan the table per
// Hello. Thread-safe.
class SessionTable {
 public:
  struct Session {
    std::string node_id;
    v1::Role role;
    SessionTerms terms;
    std::chrono::steady_clock::time_point expires;
  };

  explicit SessionTable(std::string server_id, size_t max_sessions = 100000,
                        std::chrono::seconds lifetime = std::chrono::hours(1));

  // Opens a session for `node_id` (claimed, proven on use); returns the challenge.
  std::string Open(const std::string& node_id, v1::Role role, SessionTerms terms = {});

  // Checks a call's session proof. UNAUTHENTICATED when the session is unknown, expired,
  // opened for another node, or the proof does not verify. Returns the session.
  absl::StatusOr<Session> Check(std::string_view node_id, std::string_view challenge,
                                std::string_view proof) const;

  size_t size() const;

 private:
  struct Entry {
    Session session;
    std::list<std::string>::iterator in_order;
  };
  void EraseLocked(std::string challenge) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string server_id_;
  const size_t max_sessions_;
  const std::chrono::seconds lifetime_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> sessions_ ABSL_GUARDED_BY(mu_);  // by challenge
  // Challenges, oldest first: with one lifetime for all, also in the order they expire.
  std::list<std::string> order_ ABSL_GUARDED_BY(mu_);
  // Each node's challenges, oldest first.
  std::map<std::string, std::deque<std::string>, std::less<>> by_node_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ldgs::daemon::replication

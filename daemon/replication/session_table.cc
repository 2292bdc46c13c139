#include "daemon/replication/session_table.h"

#include <algorithm>
#include <iterator>

#include "record/node_key.h"

namespace ldgs::daemon::replication {

namespace {
// A domain-separated message: the tag, then each part after a NUL. Tags differ per use, so
// a signature made for one purpose never verifies for another.
std::string Transcript(std::string_view tag, std::initializer_list<std::string_view> parts) {
  std::string out(tag);
  for (std::string_view part : parts) {
    out.push_back('\0');
    out.append(part);
  }
  return out;
}
}  // namespace

std::string HelloTranscript(std::string_view client_nonce, std::string_view client_id,
                            std::string_view challenge) {
  return Transcript("ldgs-hello-v1", {client_nonce, client_id, challenge});
}

std::string JoinTranscript(std::string_view invite_secret, std::string_view node_id,
                           std::string_view hub_id) {
  return Transcript("ldgs-join-v1", {invite_secret, node_id, hub_id});
}

std::string SessionProofMessage(std::string_view challenge, std::string_view server_id) {
  return Transcript("ldgs-session-v1", {challenge, server_id});
}

SessionTable::SessionTable(std::string server_id, size_t max_sessions,
                           std::chrono::seconds lifetime)
    : server_id_(std::move(server_id)), max_sessions_(max_sessions), lifetime_(lifetime) {}

std::string SessionTable::Open(const std::string& node_id, v1::Role role, SessionTerms terms) {
  const auto now = std::chrono::steady_clock::now();
  std::string challenge = record::RandomBytes(kNonceBytes);
  std::lock_guard<std::mutex> lock(mu_);
  while (!order_.empty() && sessions_.at(order_.front()).session.expires < now) {
    EraseLocked(order_.front());
  }
  // A node holding its share loses its own oldest: a member calling Hello in a loop evicts
  // its own sessions, not other members'.
  if (auto own = by_node_.find(node_id);
      own != by_node_.end() && own->second.size() >= kMaxSessionsPerNode) {
    EraseLocked(own->second.front());
  }
  // Full of live sessions: drop the one closest to expiry rather than refuse everyone.
  if (sessions_.size() >= max_sessions_ && !order_.empty()) EraseLocked(order_.front());
  order_.push_back(challenge);
  by_node_[node_id].push_back(challenge);
  sessions_.emplace(challenge, Entry{Session{node_id, role, std::move(terms), now + lifetime_},
                                     std::prev(order_.end())});
  return challenge;
}

void SessionTable::EraseLocked(std::string challenge) {  // a copy: callers pass a front()
  auto it = sessions_.find(challenge);
  if (it == sessions_.end()) return;
  auto node = by_node_.find(it->second.session.node_id);
  if (node != by_node_.end()) {
    std::deque<std::string>& own = node->second;
    own.erase(std::find(own.begin(), own.end(), challenge));
    if (own.empty()) by_node_.erase(node);
  }
  order_.erase(it->second.in_order);
  sessions_.erase(it);
}

size_t SessionTable::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

absl::StatusOr<SessionTable::Session> SessionTable::Check(std::string_view node_id,
                                                          std::string_view challenge,
                                                          std::string_view proof) const {
  Session session;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(std::string(challenge));
    if (it == sessions_.end() || it->second.session.expires < std::chrono::steady_clock::now()) {
      return absl::UnauthenticatedError("unknown or expired session; call Hello again");
    }
    session = it->second.session;
  }
  if (session.node_id != node_id) {
    return absl::UnauthenticatedError("session was opened for another node");
  }
  if (!record::VerifySignature(node_id, SessionProofMessage(challenge, server_id_), proof)) {
    return absl::UnauthenticatedError("session proof does not verify against node " +
                                      std::string(node_id));
  }
  return session;
}

}  // namespace ldgs::daemon::replication

#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "storage/node_state.h"

namespace ldgs::daemon::replication {

// This node's hub chain: the hubs its config names, and the hubs above them as each
// announced in Hello. Rollups and revocations count only from these nodes. Persisted in
// node state, so a restart trusts the same chain before its first Hello. Thread-safe.
class HubChain {
 public:
  // Loads what was learned before, keeping only hubs still in `configured_hubs`.
  HubChain(storage::NodeState* state, std::vector<std::string> configured_hubs);

  std::set<std::string> Members() const;
  // The same hubs, nearest first (whose metric definition counts when several define one).
  std::vector<std::string> NearestFirst() const;

  // What this node announces to its members: itself first, then its chain.
  std::vector<std::string> Announcement(const std::string& self_id) const;

  // Records the chain `hub_id` (a configured hub) announced, which must start with
  // `hub_id` and hold only node IDs (INVALID_ARGUMENT otherwise). Returns whether the chain
  // changed; a change is persisted before it is returned.
  absl::StatusOr<bool> Learn(const std::string& hub_id, const std::vector<std::string>& announced);

  // Adds a hub this node now dials (a join).
  void AddConfigured(const std::string& hub_id);

 private:
  std::string Serialize() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::NodeState* state_;
  mutable std::mutex mu_;
  std::vector<std::string> configured_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> announced_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ldgs::daemon::replication

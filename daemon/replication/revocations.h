#pragma once

#include <mutex>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "storage/record_store.h"

namespace ldgs::daemon::replication {

// The nodes this node treats as revoked: those named by revocation records it holds from
// itself or a hub of its chain. A revoked origin's records that this node does not hold
// yet are refused from any relay, and a revoked node is sent nothing. Thread-safe.
class Revocations {
 public:
  // Rebuilds the set from the revocation records held whose origin is `self_id` or in
  // `chain`.
  absl::Status Reload(const storage::RecordStore& records, const std::string& self_id,
                      const std::set<std::string>& chain);

  bool Contains(const std::string& node_id) const;
  // Moves on every Reload: caches of what depends on the set (the member list) reload.
  uint64_t version() const;

 private:
  mutable std::mutex mu_;
  std::set<std::string> revoked_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ldgs::daemon::replication

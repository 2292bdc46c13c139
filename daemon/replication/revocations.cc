#include "daemon/replication/revocations.h"

#include "common/status_macros.h"

namespace ldgs::daemon::replication {

absl::Status Revocations::Reload(const storage::RecordStore& records, const std::string& self_id,
                                 const std::set<std::string>& chain) {
  storage::ListFilter filter;
  filter.kind = v1::KIND_REVOCATION;
  filter.limit = SIZE_MAX;
  bool truncated = false;
  LDGS_ASSIGN_OR_RETURN(std::vector<storage::StoredEntry> entries,
                        records.List(filter, &truncated));
  std::set<std::string> revoked;
  for (const storage::StoredEntry& entry : entries) {
    const std::string& origin = entry.record.origin();
    if (origin == self_id || chain.count(origin))
      revoked.insert(entry.record.revocation().node_id());
  }
  std::lock_guard<std::mutex> lock(mu_);
  revoked_ = std::move(revoked);
  ++version_;
  return absl::OkStatus();
}

uint64_t Revocations::version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

bool Revocations::Contains(const std::string& node_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return revoked_.count(node_id) > 0;
}

}  // namespace ldgs::daemon::replication

#include "daemon/replication/session_terms.h"

#include <algorithm>

namespace ldgs::daemon::replication {

BatchLimits NegotiateLimits(const BatchLimits& own, uint64_t peer_max_records,
                            uint64_t peer_max_bytes) {
  BatchLimits limits = own;
  if (peer_max_records > 0) {
    limits.max_records =
        static_cast<size_t>(std::min<uint64_t>(limits.max_records, peer_max_records));
  }
  if (peer_max_bytes > 0) {
    limits.max_bytes = static_cast<size_t>(std::min<uint64_t>(limits.max_bytes, peer_max_bytes));
  }
  limits.max_records = std::max(limits.max_records, kMinBatchRecords);
  limits.max_bytes = std::max(limits.max_bytes, kMinBatchBytes);
  return limits;
}

uint64_t ResumeFrom(const storage::FeedPosition& checkpoint, std::string_view epoch) {
  // One from before epochs (none recorded) is taken as it is, as the build that wrote it did.
  return checkpoint.epoch == epoch || checkpoint.epoch.empty() ? checkpoint.sequence : 0;
}

bool FeedWasReplaced(const storage::FeedPosition& checkpoint, std::string_view epoch) {
  return checkpoint.sequence > 0 && !checkpoint.epoch.empty() && checkpoint.epoch != epoch;
}

}  // namespace ldgs::daemon::replication

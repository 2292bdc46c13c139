#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "daemon/replication/batch_limits.h"
#include "daemon/replication/visibility_filter.h"
#include "ldgs/v1/replication.pb.h"
#include "storage/record_store.h"

namespace ldgs::daemon::replication {

// The next batch of this node's feed after `after` for `peer`: the payloads the visibility
// filter lets through, within `limits`. `up_to` is the last feed sequence examined (entries
// the filter holds back advance it too), so `up_to == after` means nothing new. `head` is
// the store's last sequence. A revoked peer is sent no records (the batch still moves on).
absl::StatusOr<v1::Batch> BuildOutboundBatch(const storage::RecordStore& store, uint64_t after,
                                             const SelfView& self, const PeerView& peer,
                                             const BatchLimits& limits, bool peer_revoked);

}  // namespace ldgs::daemon::replication

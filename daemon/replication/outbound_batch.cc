#include "daemon/replication/outbound_batch.h"

#include "common/status_macros.h"

namespace ldgs::daemon::replication {
namespace {
// How many feed entries one call may look at when the filter holds most of them back, so
// that a peer that may see little still gets progress batches at a steady pace.
constexpr size_t kMaxScanMultiple = 8;
}  // namespace

absl::StatusOr<v1::Batch> BuildOutboundBatch(const storage::RecordStore& store, uint64_t after,
                                             const SelfView& self, const PeerView& peer,
                                             const BatchLimits& limits, bool peer_revoked) {
  v1::Batch batch;
  batch.set_head(store.LastSequence());
  batch.set_up_to(after);
  size_t bytes = 0;
  size_t looked = 0;  // an upper bound on the feed entries looked at
  // A peer's own records go back to it only when it asked (visibility_filter.h): the feed
  // entries of them are skipped unread (a hub's feed is mostly its members' records).
  storage::FeedFilter filter;
  if (!peer.wants_own) filter.skip_origin = peer.node_id;
  while (looked < limits.max_records * kMaxScanMultiple) {
    const uint64_t from = batch.up_to();
    uint64_t through = from;
    LDGS_ASSIGN_OR_RETURN(std::vector<storage::StoredEntry> entries,
                          store.ReadSince(from, limits.max_records, filter, &through));
    if (through == from) break;  // nothing after it
    for (const storage::StoredEntry& entry : entries) {
      std::vector<std::string> payloads = OutboundPayloads(entry, self, peer, peer_revoked);
      size_t entry_bytes = 0;
      for (const std::string& p : payloads) entry_bytes += p.size();
      const bool full =
          static_cast<size_t>(batch.records_size()) + payloads.size() > limits.max_records ||
          bytes + entry_bytes > limits.max_bytes;
      // A batch always takes its first entry, so one large record cannot stall the feed.
      if (full && batch.records_size() > 0) return batch;
      for (std::string& p : payloads) batch.add_records(std::move(p));
      bytes += entry_bytes;
      batch.set_up_to(entry.seq);
    }
    batch.set_up_to(through);  // the skipped entries after the last one taken too
    looked += limits.max_records;
    if (through >= batch.head()) break;  // reached the head of the feed
  }
  return batch;
}

}  // namespace ldgs::daemon::replication

#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "daemon/hub/rollup.h"
#include "storage/local_writer.h"
#include "storage/node_state.h"
#include "storage/record_store.h"

namespace ldgs::daemon::hub {

// Keeps a hub's rollups current. Follows the hub's own change feed from a stored cursor;
// each observation, contribution, metric definition or profile that arrives marks the
// (metric, period) cells it touches, and only those cells are recomputed, from the
// observations of that metric and period (an index prefix read), not from a rescan. A
// corrected observation is a new version of the same record, so the recomputed cell is
// exact. Rollups are written as hub records through LocalWriter: visibility network, or hub
// when fewer than min_reporting chapters reported; unchanged cells are not rewritten.
// When the hub has a hub of its own, it also writes per-region contributions (the values
// without identities, visibility hub) so the hub above combines regions exactly: only
// direct members' observations and direct member hubs' contributions are counted, never a
// record that reached this hub any other way, so nothing is counted twice.
// Not thread-safe: one aggregator per hub, driven by one thread.
class Aggregator {
 public:
  // `records`, `state` and `writer` must outlive the aggregator.
  Aggregator(storage::RecordStore* records, const storage::NodeState* state,
             storage::LocalWriter* writer, std::string self_id, RollupSettings settings,
             bool has_hub_above);

  // Processes every feed entry after the cursor and rewrites the affected cells. Returns
  // the number of rollup records written.
  absl::StatusOr<int> RunOnce(int64_t now_us);

  // Its position in the hub's change feed (storage/schema.h names it too).
  static constexpr char kCursorName[] = "aggregator";

 private:
  using Cell = std::pair<std::string, std::string>;  // (metric, period)
  absl::Status MarkDirty(const storage::StoredEntry& entry, std::set<Cell>* dirty);
  absl::StatusOr<int> Recompute(const Cell& cell, int64_t now_us);

  storage::RecordStore* store_;
  const storage::NodeState* state_;
  storage::LocalWriter* writer_;
  const std::string self_id_;
  const RollupSettings settings_;
  const bool has_hub_above_;
};

}  // namespace ldgs::daemon::hub

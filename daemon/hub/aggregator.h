#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/hub/disclosure.h"
#include "daemon/hub/members.h"
#include "daemon/hub/rollup.h"
#include "storage/local_writer.h"
#include "storage/node_state.h"
#include "storage/record_store.h"

namespace ldgs::daemon::hub {

// Keeps a hub's rollups current. Follows the hub's own change feed from its cursor; each
// observation, contribution, definition or revocation that arrives marks the (metric,
// period) groups it touches, and only those are decided again (disclosure.h), from the
// observations of that metric and period (an index read), not from a rescan.
//
// What counts: one observation per member chapter enrolled here (id obs:METRIC:PERIOD, in
// the region its enrollment names, within the definition's bounds), and one contribution
// per member hub enrolled here (id contrib:METRIC:PERIOD). Nothing that reached this hub by
// relay counts, so nothing is counted twice. The definition is this hub's own or its hub
// chain's. Each group's cells (network and every region) and its contribution to the hub
// above are written in one batch together with the group's private publication state.
// Not thread-safe: one aggregator per hub, driven by one thread.
class Aggregator {
 public:
  // `records`, `state` and `writer` must outlive the aggregator. `hub_chain` gives the hubs
  // above this one, nearest first (whose metric definitions count here, the nearest's first);
  // `is_revoked` says whether a member's enrollment has been revoked (its figures stop counting).
  Aggregator(storage::RecordStore* records, storage::NodeState* state, storage::LocalWriter* writer,
             std::string self_id, RollupSettings settings, bool has_hub_above,
             std::function<std::vector<std::string>()> hub_chain,
             std::function<bool(const std::string&)> is_revoked,
             std::function<uint64_t()> revocations_version = nullptr);

  // Processes every feed entry after the cursor, decides the touched groups (and groups
  // whose period has closed since), and writes what changed. Returns the number of rollup
  // records written.
  absl::StatusOr<int> RunOnce(int64_t now_us);
  // Groups the last RunOnce left alone because their publication state is corrupt (each
  // "METRIC PERIOD: error"); they keep their last published figures.
  const std::vector<std::string>& skipped() const { return skipped_; }

  // Its position in the hub's change feed (storage/schema.h names it too).
  static constexpr char kCursorName[] = "aggregator";
  // The node-state marker holding a group's publication state (v1::PublishedGroup).
  static std::string PublicationMarker(const std::string& metric, const std::string& period);

 private:
  using Group = std::pair<std::string, std::string>;  // (metric, period)
  absl::Status MarkDirty(const storage::StoredEntry& entry, std::set<Group>* dirty);
  absl::Status MarkAll(std::set<Group>* dirty);
  // Groups waiting for their first publication, and when this hub first saw each.
  using PendingGroups = std::map<Group, int64_t>;
  absl::StatusOr<int> Publish(const Group& group, int64_t now_us, PendingGroups* pending);
  // When a group of `period` first seen at `first_seen_us` closes for publication.
  int64_t ClosesAt(const std::string& period, int64_t first_seen_us) const;

  storage::RecordStore* store_;
  storage::NodeState* state_;
  storage::LocalWriter* writer_;
  const std::string self_id_;
  const RollupSettings settings_;
  const bool has_hub_above_;
  const std::function<std::vector<std::string>()> hub_chain_;
  const std::function<bool(const std::string&)> is_revoked_;
  std::vector<std::string> skipped_;
  // The member list, loaded again only when an enrollment changed, a revocation came, the
  // revocation set was reloaded or the hub chain changed: a hub with 10,000 members would
  // otherwise read them all on every commit. Without `revocations_version_`, every time.
  // Shared, not copied: a run compares the fingerprint, and a copy of 10,000 members on
  // every run was a tenth of a busy hub's CPU.
  struct LoadedMembers {
    Members members;
    std::string fingerprint;  // members.Fingerprint(), computed once
  };
  absl::StatusOr<std::shared_ptr<const LoadedMembers>> CurrentMembers(bool revocation_seen);
  std::shared_ptr<const LoadedMembers> members_;
  uint64_t members_generation_ = 0;
  std::vector<std::string> members_chain_;
  const std::function<uint64_t()> revocations_version_;
  uint64_t members_revocations_ = 0;
  // The definition that counts here (own, else the chain's); nullopt: not aggregated.
  std::optional<storage::StoredEntry> Definition(const std::string& metric) const;
};

}  // namespace ldgs::daemon::hub

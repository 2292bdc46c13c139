#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "storage/node_state.h"
#include "storage/record_store.h"

// Recovery of a node restored from an old backup, so that it never issues a version twice
// and gets back its own records written after the backup. `ldgsd restore` marks the store;
// each dialer then resyncs with its peer once (offers its whole feed and asks for its own
// records back) and marks that peer done. A peer that holds versions of our records newer
// than our clock also starts a recovery, whether or not the store was marked.
namespace ldgs::daemon::replication {

// Marks the store of a data dir just made from a backup (in `change`, at `now_us`).
void MarkRestored(storage::StateChange* change, int64_t now_us);

// Whether the session with `peer_id` must recover. `peer_clock` is the highest version of
// our own records the peer holds (from its Hello); when it is above our clock, the clock is
// advanced past it first, so the next version we issue is new.
absl::StatusOr<bool> BeginRecovery(storage::RecordStore* records, const storage::NodeState& state,
                                   const std::string& self_id, const std::string& peer_id,
                                   uint64_t peer_clock);

// Records that `peer_id` has all of our feed again: later sessions resume from checkpoints.
absl::Status FinishRecovery(storage::NodeState* state, const std::string& peer_id);

// The other side of a restore: the peer we dial was restored from a backup (its feed was
// replaced since our checkpoint in it), so it lost its own records written after the
// backup, and this node hands back the ones it holds with its whole feed. Whether this
// session does so: `feed_replaced` now, or an earlier hand-back that did not finish (noted
// durably here, before the checkpoint moves to the new epoch).
absl::StatusOr<bool> BeginHandBack(storage::NodeState* state, const std::string& peer_id,
                                   bool feed_replaced);
absl::Status FinishHandBack(storage::NodeState* state, const std::string& peer_id);

}  // namespace ldgs::daemon::replication

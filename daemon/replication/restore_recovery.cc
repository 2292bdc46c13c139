#include "daemon/replication/restore_recovery.h"

#include "common/clock.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon::replication {
namespace {

constexpr char kRestoredMarker[] = "restored";
constexpr uint64_t kClockSkewUs = 24ULL * 3600 * 1000000;
std::string ResyncedMarker(const std::string& peer_id) { return "resynced/" + peer_id; }
std::string HandBackMarker(const std::string& peer_id) { return "hand_back/" + peer_id; }

}  // namespace

void MarkRestored(storage::StateChange* change, int64_t now_us) {
  change->SetMarker(kRestoredMarker, std::to_string(now_us));
  // The restored feed reuses sequence numbers the lost one had handed out: a new epoch
  // voids every peer's checkpoint in it.
  change->SetFeedEpoch(storage::NewFeedEpoch());
}

absl::StatusOr<bool> BeginRecovery(storage::RecordStore* records, const storage::NodeState& state,
                                   const std::string& self_id, const std::string& peer_id,
                                   uint64_t peer_clock) {
  bool recover =
      state.GetMarker(kRestoredMarker).ok() && !state.GetMarker(ResyncedMarker(peer_id)).ok();
  LDGS_ASSIGN_OR_RETURN(uint64_t own_clock, records->ClockOf(self_id));
  // Versions follow the wall clock: a peer claiming we issued versions beyond a day ahead of
  // now is wrong or hostile, and moving our clock there would make our records uneditable.
  const uint64_t horizon = static_cast<uint64_t>(NowMicros()) + kClockSkewUs;
  if (peer_clock > horizon) {
    spdlog::warn("peer {} claims our versions reach {}, past now: ignored", peer_id, peer_clock);
    peer_clock = 0;
  }
  if (peer_clock > own_clock) {
    spdlog::warn(
        "peer {} holds our versions up to {}, ours only reach {}: restored from an old "
        "backup? advancing the clock and fetching our records back",
        peer_id, peer_clock, own_clock);
    LDGS_RETURN_IF_ERROR(records->AdvanceClock(self_id, peer_clock));
    recover = true;
  }
  return recover;
}

absl::Status FinishRecovery(storage::NodeState* state, const std::string& peer_id) {
  return state->Commit(storage::StateChange().SetMarker(ResyncedMarker(peer_id), "1"));
}

absl::StatusOr<bool> BeginHandBack(storage::NodeState* state, const std::string& peer_id,
                                   bool feed_replaced) {
  if (feed_replaced) {
    spdlog::warn(
        "peer {} has a new feed epoch (restored from a backup?): pulling its feed "
        "again and handing its own records back",
        peer_id);
    LDGS_RETURN_IF_ERROR(
        state->Commit(storage::StateChange().SetMarker(HandBackMarker(peer_id), "1")));
    return true;
  }
  absl::StatusOr<std::string> pending = state->GetMarker(HandBackMarker(peer_id));
  if (absl::IsNotFound(pending.status())) return false;
  if (!pending.ok()) return pending.status();
  return *pending == "1";
}

absl::Status FinishHandBack(storage::NodeState* state, const std::string& peer_id) {
  return state->Commit(storage::StateChange().SetMarker(HandBackMarker(peer_id), "0"));
}

}  // namespace ldgs::daemon::replication

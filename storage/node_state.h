#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ldgs/v1/peer.pb.h"
#include "storage/db.h"
#include "storage/keys.h"

namespace rocksdb {
class WriteBatch;
}

namespace ldgs::storage {

// A position in a node's change feed. A feed's sequence numbers mean something only within
// its epoch (a random ID made at init and again at restore from a backup), so a checkpoint
// names the epoch it was reached in; one from another epoch is void.
struct FeedPosition {
  std::string epoch;  // empty for a checkpoint written before epochs existed
  uint64_t sequence = 0;
  bool operator==(const FeedPosition&) const = default;
};

// A fresh feed epoch: 16 random bytes, base32.
std::string NewFeedEpoch();

// Writes of node state staged for one atomic batch: committed alone (NodeState::Commit) or
// together with records (RecordStore::Apply), so that, say, a batch of records and the
// checkpoint after it, or an enrollment and the invite it used up, land together or not at
// all. Cheap to copy; holds only encoded keys and values.
class StateChange {
 public:
  // The position this node reached in a peer's feed (inbound) or a peer in ours (outbound).
  StateChange& SetCheckpoint(std::string_view peer, PeerDirection direction,
                             const FeedPosition& position);
  // This node's own feed epoch (Storage::Open makes one; a restore makes a new one).
  StateChange& SetFeedEpoch(std::string_view epoch);
  // A named reader's position in this node's own change feed (e.g. the hub's aggregator).
  StateChange& SetFeedCursor(std::string_view name, uint64_t sequence);
  StateChange& PutEnrollment(const v1::Enrollment& enrollment);
  StateChange& PutInvite(const v1::Invite& invite);
  // A small named marker of the node's own state.
  StateChange& SetMarker(std::string_view name, std::string_view value);

  bool empty() const { return puts_.empty(); }
  bool changes_enrollments() const { return changes_enrollments_; }
  // Adds the staged writes to `batch` (storage-internal).
  void AddTo(const Db& db, rocksdb::WriteBatch* batch) const;

 private:
  struct Put {
    ColumnFamily family;
    std::string key;
    std::string value;
  };
  std::vector<Put> puts_;
  bool changes_enrollments_ = false;
};

// What a node knows about its peers and itself besides records: enrollments (who may dial
// it), invites, feed checkpoints per peer and direction, and markers. Every write is one
// synced batch through Db's guarded path. Thread-safe.
class NodeState {
 public:
  explicit NodeState(Db* db) : db_(db) {}

  // Writes `change` in one synced batch (RESOURCE_EXHAUSTED on a full disk, nothing written).
  absl::Status Commit(const StateChange& change);

  // The checkpoint for a peer and direction ({"", 0} when none).
  absl::StatusOr<FeedPosition> Checkpoint(std::string_view peer, PeerDirection direction) const;

  // This node's feed epoch (NOT_FOUND only before Storage::Open made one).
  absl::StatusOr<std::string> FeedEpoch() const;

  // NOT_FOUND when the node was never enrolled.
  absl::StatusOr<v1::Enrollment> GetEnrollment(std::string_view node_id) const;
  absl::StatusOr<std::vector<v1::Enrollment>> ListEnrollments() const;
  // Moves whenever an enrollment changes (Db::enrollment_writes).
  uint64_t EnrollmentGeneration() const { return db_->enrollment_writes(); }

  // NOT_FOUND when no invite has this secret hash.
  absl::StatusOr<v1::Invite> GetInvite(std::string_view secret_hash) const;

  // NOT_FOUND when unset.
  absl::StatusOr<std::string> GetMarker(std::string_view name) const;

 private:
  absl::StatusOr<std::string> Read(const std::string& key, std::string_view not_found) const;
  Db* db_;
};

}  // namespace ldgs::storage

#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "ldgs/v1/peer.pb.h"
#include "ldgs/v1/record.pb.h"
#include "ldgs/v1/storage.pb.h"
#include "storage/keys.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
}  // namespace rocksdb

namespace ldgs::storage {

inline constexpr uint32_t kSchemaVersion = 1;

// A record to apply. The caller has verified the signature of `signed_bytes` and decoded
// `record` from its payload (record/signed_record.h does both).
struct IncomingRecord {
  v1::Record record;
  std::string signed_bytes;
  // Optional signed tombstone of the same version for the audience of a wider, older
  // version (see StoredRecord.retraction).
  std::string retraction_bytes;
};

struct CheckpointUpdate {
  std::string peer;
  PeerDirection direction;
  uint64_t sequence;
};

struct ApplyResult {
  int applied = 0;    // new records or newer versions, each given a new sequence
  int unchanged = 0;  // the same version held already (idempotent re-delivery)
  int stale = 0;      // older than the version held
  int forks = 0;      // same version, different payload: refused, the held one kept
};

// A record as held by this node.
struct StoredEntry {
  uint64_t seq = 0;
  v1::Record record;  // decoded from stored.signed
  v1::StoredRecord stored;
};

struct ListFilter {
  v1::Kind kind = v1::KIND_UNSPECIFIED;  // unspecified: any
  std::string tag;                       // empty: any
  std::string origin;                    // empty: any
  std::string metric;                    // observations and rollups of this metric
  std::string period;                    // with metric: of this period only
  bool include_deleted = false;
  size_t limit = 1000;
};

// The node's RocksDB store: records, change feed, clock, peer checkpoints, indexes, meta.
// Every logical change is one atomic, synced WriteBatch. Reads see a consistent snapshot.
// Thread-safe: writers are serialized inside Apply, readers run concurrently.
class Store {
 public:
  // Opens (creating if missing) the store in `dir`, which must exist. Returns
  // FAILED_PRECONDITION when the stored schema version is not kSchemaVersion and
  // UNAVAILABLE when another process holds the store.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Applies `records` and the optional checkpoint in one synced WriteBatch: all or nothing.
  // Per record, a newer version replaces the held one (its old feed entry and index keys
  // are removed in the same batch); an older or equal one changes nothing. A different
  // payload at the held version is a fork: refused and counted, the held version kept.
  // Records are applied in order, so a batch may carry several versions of one record.
  absl::StatusOr<ApplyResult> Apply(const std::vector<IncomingRecord>& records,
                                    const std::optional<CheckpointUpdate>& checkpoint);

  // NOT_FOUND when absent.
  absl::StatusOr<StoredEntry> Get(std::string_view origin, std::string_view id) const;

  // Feed entries with sequence > `after`, in sequence order, at most `limit`.
  absl::StatusOr<std::vector<StoredEntry>> ReadSince(uint64_t after, size_t limit) const;

  // Records matching every set field of `filter`, in key order; `*truncated` tells whether
  // more matched than filter.limit.
  absl::StatusOr<std::vector<StoredEntry>> List(const ListFilter& filter, bool* truncated) const;

  // Highest version held of any record of `origin` (0 when none).
  absl::StatusOr<uint64_t> ClockOf(std::string_view origin) const;

  // The checkpoint stored for a peer and direction (0 when none).
  absl::StatusOr<uint64_t> Checkpoint(std::string_view peer, PeerDirection direction) const;

  // The highest sequence issued so far.
  uint64_t LastSequence() const;

  // Enrollments (who may dial this node), synced on write.
  absl::Status PutEnrollment(const v1::Enrollment& enrollment);
  // NOT_FOUND when the node was never enrolled.
  absl::StatusOr<v1::Enrollment> GetEnrollment(std::string_view node_id) const;
  absl::StatusOr<std::vector<v1::Enrollment>> ListEnrollments() const;

  // Writes a consistent, openable copy of the store to `db_dir` (which must not exist) while
  // writers run (a RocksDB checkpoint: hard links where it can).
  absl::Status CreateBackup(const std::string& db_dir) const;

  // Raises the clock of `origin` to `version` if it is higher (synced). Used by a node that
  // learns from a peer that it issued versions its store no longer holds.
  absl::Status AdvanceClock(std::string_view origin, uint64_t version);

  // Invites, by secret hash (synced on write). NOT_FOUND when unknown.
  absl::Status PutInvite(const v1::Invite& invite);
  absl::StatusOr<v1::Invite> GetInvite(std::string_view secret_hash) const;

  // Writes are refused (RESOURCE_EXHAUSTED, nothing written) while the data dir's file
  // system has less than `bytes` available, and accepted again once space returns. Reads are
  // unaffected. 0 disables the check. Set before concurrent use.
  void SetMinFreeBytes(uint64_t bytes) { min_free_bytes_ = bytes; }

  // Small named markers of the node's own state (synced on write). NOT_FOUND when unset.
  absl::StatusOr<std::string> GetMarker(std::string_view name) const;
  absl::Status PutMarker(std::string_view name, std::string_view value);

  // Called with the new last sequence after every batch that added feed entries, outside
  // the store's locks. Set once, before concurrent use.
  void SetCommitListener(std::function<void(uint64_t)> listener);

 private:
  Store() = default;
  absl::Status LoadMeta();
  absl::Status ResumeAfterWriteErrorLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; destroyed before db_
  rocksdb::ColumnFamilyHandle* records_ = nullptr;
  rocksdb::ColumnFamilyHandle* changes_ = nullptr;
  rocksdb::ColumnFamilyHandle* clock_ = nullptr;
  rocksdb::ColumnFamilyHandle* peers_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;

  mutable std::mutex write_mu_;  // one writer at a time: apply reads, then writes
  uint64_t last_seq_ ABSL_GUARDED_BY(write_mu_) = 0;
  std::function<void(uint64_t)> commit_listener_;
  bool write_error_ ABSL_GUARDED_BY(write_mu_) = false;
  std::string dir_;
  uint64_t min_free_bytes_ = 0;
};

}  // namespace ldgs::storage

#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "ldgs/v1/record.pb.h"
#include "ldgs/v1/storage.pb.h"
#include "storage/db.h"
#include "storage/node_state.h"

namespace ldgs::storage {

// A record to apply. The caller has verified the signature of `signed_bytes` and decoded
// `record` from its payload (record/signed_record.h does both), or signed it itself.
struct IncomingRecord {
  v1::Record record;
  std::string signed_bytes;
  // Optional signed tombstone of the same version for the audience of a wider, older
  // version (see StoredRecord.retraction).
  std::string retraction_bytes;
};

struct ApplyResult {
  int applied = 0;    // new records or newer versions, each given a new sequence
  int unchanged = 0;  // the same version held already (idempotent re-delivery)
  int stale = 0;      // older than the version held
  int forks = 0;      // same version, different payload: refused, the held one kept
};

// Which feed entries a reader wants (RecordStore::ReadSince).
struct FeedFilter {
  std::vector<v1::Kind> kinds;  // empty: every kind
  std::string skip_origin;      // the records of this origin are not wanted
};

// What one committed batch added to the feed, told to the commit listener.
struct FeedCommit {
  uint64_t first_seq = 0;  // its first new feed entry
  uint64_t last_seq = 0;   // its last
  // Every new entry is a record for its origin's hub at most (visibility hub or private,
  // with no retraction for a wider audience): no node but that hub may be sent any of them,
  // so a node serving its members and sisters need not look at them.
  bool hub_audience_only = false;
};

// One Apply call in the group commit queue (RecordStore::Enqueue).
struct PendingApply {
  PendingApply(const std::vector<IncomingRecord>& r, const StateChange& a, WriteClass c)
      : records(r), also(a), write_class(c) {}

  const std::vector<IncomingRecord>& records;
  const StateChange& also;
  const WriteClass write_class;
  absl::StatusOr<ApplyResult> result = ApplyResult();
  bool done = false;  // under the store's queue lock
  std::condition_variable wake;
};

// A record as held by this node.
struct StoredEntry {
  uint64_t seq = 0;
  v1::Record record;  // decoded from stored.signed_bytes
  v1::StoredRecord stored;
  std::string position;  // where List found it: a filter.after for paging
};

struct ListFilter {
  v1::Kind kind = v1::KIND_UNSPECIFIED;  // unspecified: any
  std::string tag;                       // empty: any
  std::string origin;                    // empty: any
  std::string id_prefix;                 // with origin: ids starting with this
  std::string metric;                    // observations and rollups of this metric
  std::string period;                    // with metric: of this period only
  v1::RecordRef adapted_from;            // practices adapted directly from this one
  bool include_deleted = false;
  size_t limit = 1000;
  // Paging: continue strictly after this position (a List's `resume_after` for the same
  // filter; opaque).
  std::string after;
};

// The node's records: the one apply path, the change feed (with named cursors for readers
// such as the aggregator), the per-origin clock and the secondary indexes. Reads see a
// consistent snapshot. Thread-safe: writers are serialized by the Db, readers run
// concurrently.
class RecordStore {
 public:
  // Reads the last sequence; `db` must outlive the store.
  static absl::StatusOr<std::unique_ptr<RecordStore>> Open(Db* db);

  // Applies `records` and `also` (a checkpoint, a cursor, ...) in one synced WriteBatch:
  // all or nothing. Per record, a newer version replaces the held one (its old feed entry
  // and index keys are removed in the same batch); an older or equal one changes nothing. A
  // different payload at the held version is a fork: refused and counted, the held version
  // kept. Records are applied in order, so a batch may carry several versions of one record.
  // RESOURCE_EXHAUSTED on a full disk, nothing written.
  // `write_class` says how much of the disk reserve it may use (storage/db.h).
  // Group commit: calls that arrive while another commits wait, and the first of them then
  // writes all of them (of one write class) in one synced WriteBatch, in arrival order, each
  // seeing the ones before it as if they had committed alone. One call's error (a corrupt
  // held record) fails that call only; the batch's own failure (disk full) fails them all.
  absl::StatusOr<ApplyResult> Apply(const std::vector<IncomingRecord>& records,
                                    const StateChange& also = StateChange(),
                                    WriteClass write_class = WriteClass::kRecords);

  // Apply in two halves, for a writer that orders its calls under a lock of its own but
  // should not hold it through the sync: Enqueue fixes the call's place in the commit order
  // (the calls enqueued before it are applied before it), Finish waits for its commit and
  // returns what Apply would. Every Enqueue must be Finished; `records` and `also` must
  // outlive it.
  std::unique_ptr<PendingApply> Enqueue(const std::vector<IncomingRecord>& records,
                                        const StateChange& also,
                                        WriteClass write_class = WriteClass::kRecords);
  absl::StatusOr<ApplyResult> Finish(std::unique_ptr<PendingApply> call);

  // NOT_FOUND when absent.
  absl::StatusOr<StoredEntry> Get(std::string_view origin, std::string_view id) const;

  // Feed entries with sequence > `after`, in sequence order, at most `limit`.
  absl::StatusOr<std::vector<StoredEntry>> ReadSince(uint64_t after, size_t limit) const;

  // ReadSince of the entries `filter` wants, decided from each feed entry alone (its key
  // and kind) so that the others' records are never read. `limit` bounds the entries
  // looked at; `*scanned_through` is the last sequence looked at (`after` when none), which
  // a reader's cursor moves to. Entries written before the feed kept kinds are returned
  // whatever their kind: a reader still checks the kind it gets.
  absl::StatusOr<std::vector<StoredEntry>> ReadSince(uint64_t after, size_t limit,
                                                     const FeedFilter& filter,
                                                     uint64_t* scanned_through) const;

  // Records matching every set field of `filter`, in key order; `*truncated` tells whether
  // more matched than filter.limit, and then `resume_after` (when given) the position to
  // pass as filter.after for the next page.
  absl::StatusOr<std::vector<StoredEntry>> List(const ListFilter& filter, bool* truncated,
                                                std::string* resume_after = nullptr) const;

  // Calls `visit` with every record matching `filter` (its limit ignored) and its position,
  // in key order, on one snapshot, until it returns false. Reads one record at a time: for
  // scans too large to hold.
  using Visitor = std::function<bool(const StoredEntry&, std::string_view position)>;
  absl::Status Scan(const ListFilter& filter, const Visitor& visit) const;

  // Highest version held of any record of `origin` (0 when none).
  absl::StatusOr<uint64_t> ClockOf(std::string_view origin) const;

  // Raises the clock of `origin` to `version` if it is higher (synced). Used by a node that
  // learns from a peer that it issued versions its store no longer holds.
  absl::Status AdvanceClock(std::string_view origin, uint64_t version);

  // The highest sequence issued so far.
  uint64_t LastSequence() const;

  // Where the named reader stands in the feed (0 when it never moved); moved with
  // StateChange::SetFeedCursor, in the batch that records what it read.
  absl::StatusOr<uint64_t> FeedCursor(std::string_view name) const;

  // Apply calls waiting for a group commit (tests watch it to form groups).
  size_t QueuedWriters() const;

  // Called after every batch that added feed entries, outside the store's write lock, in
  // sequence order. It must not write to the store (the next commit waits for it to
  // return). Set once, before concurrent use.
  void SetCommitListener(std::function<void(const FeedCommit&)> listener);

  // Whether a record held with content was retracted (replaced by its tombstone) since the
  // last call: then its bytes are still in the store's files until Db::PurgeOverwritten.
  bool TakeRetractedSinceLastCall() { return retracted_.exchange(false); }
  // Marks a retraction pending again (a purge that failed).
  void MarkRetracted() { retracted_ = true; }
  // After a purge: removes the durable pending mark unless a retraction came meanwhile.
  absl::Status ClearPurgePending();

 private:
  explicit RecordStore(Db* db) : db_(db) {}

  // Writes `group` (the queue's first calls) in one synced batch under the Db's write lock
  // and sets each call's result; `*told` is what the batch added to the feed (empty when
  // nothing).
  void CommitGroup(const std::vector<PendingApply*>& group, FeedCommit* told);
  // Tells the listener `commit`, after the commits before it.
  void TellInOrder(const FeedCommit& commit);

  Db* db_;
  mutable std::mutex queue_mu_;
  std::deque<PendingApply*> writers_ ABSL_GUARDED_BY(queue_mu_);  // the first one commits
  mutable std::mutex seq_mu_;  // last_seq_ changes only under the Db's write lock, too
  uint64_t last_seq_ ABSL_GUARDED_BY(seq_mu_) = 0;
  std::function<void(const FeedCommit&)> commit_listener_;
  std::mutex told_mu_;
  std::condition_variable told_changed_;
  uint64_t told_through_ ABSL_GUARDED_BY(told_mu_) = 0;  // the listener was told up to here
  std::atomic<bool> retracted_{false};
};

}  // namespace ldgs::storage

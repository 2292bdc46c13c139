// The apply path: the one place where records, feed entries, index keys, clock and a peer's
// checkpoint are written, always together in one synced WriteBatch.
#include <map>
#include <optional>

#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/keys.h"
#include "storage/record_index.h"
#include "storage/record_store.h"
#include "storage/rocksdb_status.h"

namespace ldgs::storage {
namespace {

// A narrowed record travels as two payloads of one version: the full record for the
// audience that may still see it, and a tombstone for the audience that had more. They are
// companions, not a fork.
bool AreCompanions(const v1::Record& a, const v1::Record& b) {
  return a.version() == b.version() && a.deleted() != b.deleted();
}

enum class Decision { kInsert, kReplace, kMergeCompanion, kUnchanged, kStale, kFork };

Decision Decide(const std::optional<StoredEntry>& held, const IncomingRecord& in) {
  if (!held) return Decision::kInsert;
  const uint64_t held_version = held->record.version();
  if (in.record.version() > held_version) return Decision::kReplace;
  if (in.record.version() < held_version) return Decision::kStale;
  if (held->stored.signed_bytes() == in.signed_bytes) return Decision::kUnchanged;
  if (held->stored.retraction() == in.signed_bytes && !in.signed_bytes.empty()) {
    return Decision::kUnchanged;
  }
  if (AreCompanions(held->record, in.record)) {
    // Only worth a write when it brings the half we lack.
    const bool have_both = !held->stored.retraction().empty();
    return have_both ? Decision::kUnchanged : Decision::kMergeCompanion;
  }
  return Decision::kFork;
}

}  // namespace

absl::StatusOr<ApplyResult> RecordStore::Apply(const std::vector<IncomingRecord>& records,
                                               const StateChange& also, WriteClass write_class) {
  std::unique_lock<std::mutex> lock = db_->LockWrites();
  rocksdb::ColumnFamilyHandle* const changes = db_->cf(ColumnFamily::kChanges);
  rocksdb::ColumnFamilyHandle* const index = db_->cf(ColumnFamily::kIndex);
  rocksdb::WriteBatch batch;
  ApplyResult result;
  const uint64_t first_seq = LastSequence();
  uint64_t seq = first_seq;
  // Records written earlier in this batch, so that later versions in it see them.
  std::map<std::string, StoredEntry> pending;
  std::map<std::string, uint64_t> clocks;
  bool retracted = false;
  bool hub_audience_only = true;

  for (const IncomingRecord& in : records) {
    const std::string key = RecordKey(in.record.origin(), in.record.id());
    std::optional<StoredEntry> held;
    if (auto it = pending.find(key); it != pending.end()) {
      held = it->second;
    } else {
      absl::StatusOr<StoredEntry> got = Get(in.record.origin(), in.record.id());
      if (got.ok()) {
        held = std::move(*got);
      } else if (!absl::IsNotFound(got.status())) {
        return got.status();
      }
    }

    StoredEntry next;
    switch (Decide(held, in)) {
      case Decision::kUnchanged:
        ++result.unchanged;
        continue;
      case Decision::kStale:
        ++result.stale;
        continue;
      case Decision::kFork:
        ++result.forks;
        continue;
      case Decision::kInsert:
      case Decision::kReplace:
        next.record = in.record;
        next.stored.set_signed_bytes(in.signed_bytes);
        next.stored.set_retraction(in.retraction_bytes);
        break;
      case Decision::kMergeCompanion: {
        const bool incoming_is_tombstone = in.record.deleted();
        next.record = incoming_is_tombstone ? held->record : in.record;
        next.stored.set_signed_bytes(incoming_is_tombstone ? held->stored.signed_bytes()
                                                           : in.signed_bytes);
        next.stored.set_retraction(incoming_is_tombstone ? in.signed_bytes
                                                         : held->stored.signed_bytes());
        break;
      }
    }

    if (held && next.record.deleted() && !held->record.deleted()) retracted = true;
    if (held) {
      batch.Delete(changes, EncodeU64(held->seq));
      for (const std::string& index_key : IndexKeysOf(held->record)) batch.Delete(index, index_key);
    }
    const v1::Visibility visibility = next.record.visibility();
    if (visibility == v1::VISIBILITY_NETWORK || visibility == v1::VISIBILITY_PUBLIC ||
        !next.stored.retraction().empty()) {
      hub_audience_only = false;
    }
    next.seq = ++seq;
    next.stored.set_seq(next.seq);
    batch.Put(db_->cf(ColumnFamily::kRecords), key, next.stored.SerializeAsString());
    batch.Put(changes, EncodeU64(next.seq), EncodeFeedValue(key, next.record.kind()));
    for (const std::string& index_key : IndexKeysOf(next.record)) batch.Put(index, index_key, "");
    uint64_t& clock = clocks[in.record.origin()];
    clock = std::max(clock, in.record.version());
    pending[key] = std::move(next);
    ++result.applied;
  }

  for (const auto& [origin, version] : clocks) {
    LDGS_ASSIGN_OR_RETURN(uint64_t held_clock, ClockOf(origin));
    if (version > held_clock) batch.Put(db_->cf(ColumnFamily::kClock), origin, EncodeU64(version));
  }
  if (seq != first_seq) batch.Put(db_->cf(ColumnFamily::kMeta), kLastSeqKey, EncodeU64(seq));
  if (retracted) batch.Put(db_->cf(ColumnFamily::kMeta), kPurgePendingKey, "1");
  also.AddTo(*db_, &batch);
  LDGS_RETURN_IF_ERROR(db_->Commit(lock, &batch, write_class));
  if (also.changes_enrollments()) db_->CountEnrollmentWrite();
  if (retracted) retracted_ = true;
  if (seq == first_seq) return result;
  {
    std::lock_guard<std::mutex> seq_lock(seq_mu_);
    last_seq_ = seq;
  }
  lock.unlock();
  // Told in sequence order, outside the write lock: the commit before this one was told
  // first (it may still be telling on another thread). A listener told out of order would
  // have to assume the worst of the gap.
  {
    std::unique_lock<std::mutex> told(told_mu_);
    told_changed_.wait(told, [&] { return told_through_ == first_seq; });
  }
  if (commit_listener_) commit_listener_(FeedCommit{first_seq + 1, seq, hub_audience_only});
  {
    std::lock_guard<std::mutex> told(told_mu_);
    told_through_ = seq;
  }
  told_changed_.notify_all();
  return result;
}

absl::Status RecordStore::AdvanceClock(std::string_view origin, uint64_t version) {
  std::unique_lock<std::mutex> lock = db_->LockWrites();
  LDGS_ASSIGN_OR_RETURN(uint64_t held, ClockOf(origin));
  if (version <= held) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  batch.Put(db_->cf(ColumnFamily::kClock), origin, EncodeU64(version));
  return db_->Commit(lock, &batch, WriteClass::kNodeState);
}

}  // namespace ldgs::storage

// The apply path: the one place where records, feed entries, index keys, clock and a peer's
// checkpoint are written, always together in one synced WriteBatch.
#include <algorithm>
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

// A group commit's batch as it is built: what its calls wrote so far, which later records
// (of the same call or a later one) must see.
struct GroupBatch {
  rocksdb::WriteBatch batch;
  std::map<std::string, StoredEntry> pending;  // by record key
  std::map<std::string, uint64_t> clocks;      // by origin: the highest version written
  uint64_t seq = 0;                            // the last sequence issued
  bool retracted = false;
  bool hub_audience_only = true;
};

// Adds one call's records and `also` to `group`; on error nothing of this call is left in
// it (the calls before it and after it are not affected).
absl::StatusOr<ApplyResult> AddCall(const RecordStore& store, const Db& db,
                                    const std::vector<IncomingRecord>& records,
                                    const StateChange& also, GroupBatch* group) {
  rocksdb::ColumnFamilyHandle* const changes = db.cf(ColumnFamily::kChanges);
  rocksdb::ColumnFamilyHandle* const index = db.cf(ColumnFamily::kIndex);
  rocksdb::WriteBatch& batch = group->batch;
  batch.SetSavePoint();
  ApplyResult result;
  // This call's writes, merged into the group once the call is known to succeed.
  std::map<std::string, StoredEntry> mine;
  std::map<std::string, uint64_t> my_clocks;
  uint64_t seq = group->seq;
  bool retracted = false;
  bool hub_audience_only = true;
  auto fail = [&batch](absl::Status status) {
    batch.RollbackToSavePoint().PermitUncheckedError();
    return status;
  };

  for (const IncomingRecord& in : records) {
    const std::string key = RecordKey(in.record.origin(), in.record.id());
    std::optional<StoredEntry> held;
    if (auto it = mine.find(key); it != mine.end()) {
      held = it->second;
    } else if (auto it = group->pending.find(key); it != group->pending.end()) {
      held = it->second;
    } else {
      absl::StatusOr<StoredEntry> got = store.Get(in.record.origin(), in.record.id());
      if (got.ok()) {
        held = std::move(*got);
      } else if (!absl::IsNotFound(got.status())) {
        return fail(got.status());
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
    batch.Put(db.cf(ColumnFamily::kRecords), key, next.stored.SerializeAsString());
    batch.Put(changes, EncodeU64(next.seq), EncodeFeedValue(key, next.record.kind()));
    for (const std::string& index_key : IndexKeysOf(next.record)) batch.Put(index, index_key, "");
    uint64_t& clock = my_clocks[in.record.origin()];
    clock = std::max(clock, in.record.version());
    mine[key] = std::move(next);
    ++result.applied;
  }
  also.AddTo(db, &batch);

  batch.PopSavePoint().PermitUncheckedError();
  for (auto& [key, entry] : mine) group->pending[key] = std::move(entry);
  for (const auto& [origin, version] : my_clocks) {
    uint64_t& clock = group->clocks[origin];
    clock = std::max(clock, version);
  }
  group->seq = seq;
  group->retracted |= retracted;
  group->hub_audience_only &= hub_audience_only;
  return result;
}

}  // namespace

// A group's records bound the batch one fsync waits for and the time its first call waits.
constexpr size_t kMaxGroupRecords = 5000;

absl::StatusOr<ApplyResult> RecordStore::Apply(const std::vector<IncomingRecord>& records,
                                               const StateChange& also, WriteClass write_class) {
  return Finish(Enqueue(records, also, write_class));
}

std::unique_ptr<PendingApply> RecordStore::Enqueue(const std::vector<IncomingRecord>& records,
                                                   const StateChange& also,
                                                   WriteClass write_class) {
  auto call = std::make_unique<PendingApply>(records, also, write_class);
  std::lock_guard<std::mutex> queue(queue_mu_);
  writers_.push_back(call.get());
  return call;
}

absl::StatusOr<ApplyResult> RecordStore::Finish(std::unique_ptr<PendingApply> call) {
  PendingApply& self = *call;
  std::unique_lock<std::mutex> queue(queue_mu_);
  self.wake.wait(queue, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    // The queue may be empty: a leader takes its group out before marking it done.
    return self.done || (!writers_.empty() && writers_.front() == &self);
  });
  if (self.done) return std::move(self.result);

  // This call leads: it commits the calls queued behind it of its write class with its own
  // (a call of the other class must not fail for the reserve of this one).
  std::vector<PendingApply*> group = {&self};
  size_t group_records = self.records.size();
  for (size_t i = 1; i < writers_.size(); ++i) {
    PendingApply* next = writers_[i];
    if (next->write_class != self.write_class) break;
    if (group_records + next->records.size() > kMaxGroupRecords) break;
    group_records += next->records.size();
    group.push_back(next);
  }
  queue.unlock();
  FeedCommit told;
  CommitGroup(group, &told);
  queue.lock();
  writers_.erase(writers_.begin(), writers_.begin() + static_cast<std::ptrdiff_t>(group.size()));
  if (!writers_.empty()) writers_.front()->wake.notify_one();  // the next group's leader
  queue.unlock();

  if (told.last_seq != 0) TellInOrder(told);
  queue.lock();
  for (PendingApply* member : group) {
    if (member == &self) continue;
    member->done = true;
    member->wake.notify_one();  // under the lock: it cannot return and vanish before
  }
  return std::move(self.result);
}

void RecordStore::CommitGroup(const std::vector<PendingApply*>& group, FeedCommit* told) {
  std::unique_lock<std::mutex> lock = db_->LockWrites();
  GroupBatch batch;
  const uint64_t first_seq = LastSequence();
  batch.seq = first_seq;
  std::vector<PendingApply*> added;
  for (PendingApply* writer : group) {
    writer->result = AddCall(*this, *db_, writer->records, writer->also, &batch);
    if (writer->result.ok()) added.push_back(writer);
  }
  auto fail_added = [&added](const absl::Status& status) {
    for (PendingApply* writer : added) writer->result = status;
  };
  for (const auto& [origin, version] : batch.clocks) {
    absl::StatusOr<uint64_t> held_clock = ClockOf(origin);
    if (!held_clock.ok()) return fail_added(held_clock.status());
    if (version > *held_clock) {
      batch.batch.Put(db_->cf(ColumnFamily::kClock), origin, EncodeU64(version));
    }
  }
  const uint64_t seq = batch.seq;
  if (seq != first_seq) {
    batch.batch.Put(db_->cf(ColumnFamily::kMeta), kLastSeqKey, EncodeU64(seq));
  }
  if (batch.retracted) batch.batch.Put(db_->cf(ColumnFamily::kMeta), kPurgePendingKey, "1");
  if (absl::Status committed = db_->Commit(lock, &batch.batch, group.front()->write_class);
      !committed.ok()) {
    return fail_added(committed);
  }
  for (PendingApply* writer : added) {
    if (writer->also.changes_enrollments()) db_->CountEnrollmentWrite();
  }
  if (batch.retracted) retracted_ = true;
  if (seq == first_seq) return;
  {
    std::lock_guard<std::mutex> seq_lock(seq_mu_);
    last_seq_ = seq;
  }
  *told = FeedCommit{first_seq + 1, seq, batch.hub_audience_only};
}

// Told in sequence order, outside the write lock: the commit before this one was told first
// (it may still be telling on another thread). A listener told out of order would have to
// assume the worst of the gap.
void RecordStore::TellInOrder(const FeedCommit& commit) {
  {
    std::unique_lock<std::mutex> told(told_mu_);
    told_changed_.wait(told, [&] { return told_through_ == commit.first_seq - 1; });
  }
  if (commit_listener_) commit_listener_(commit);
  {
    std::lock_guard<std::mutex> told(told_mu_);
    told_through_ = commit.last_seq;
  }
  told_changed_.notify_all();
}

size_t RecordStore::QueuedWriters() const {
  std::lock_guard<std::mutex> queue(queue_mu_);
  return writers_.size();
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

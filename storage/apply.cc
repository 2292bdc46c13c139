// The apply path: the one place where records, feed entries, index keys, clock and a peer's
// checkpoint are written, always together in one synced WriteBatch.
#include <sys/statvfs.h>

#include <map>

#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/record_index.h"
#include "storage/rocksdb_status.h"
#include "storage/store.h"

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

absl::Status Store::ResumeAfterWriteErrorLocked() {
  // Refuse before RocksDB meets a full disk: its recovery from a failed WAL write is not
  // dependable in the Debian build (an assertion fires), and a refused write is clean.
  if (min_free_bytes_ > 0) {
    struct statvfs fs;
    if (statvfs(dir_.c_str(), &fs) == 0) {
      const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
      if (free_bytes < min_free_bytes_) {
        return absl::ResourceExhaustedError(
            "disk full: " + std::to_string(free_bytes / 1024) + " KiB free for " + dir_ +
            ", below the minimum of " + std::to_string(min_free_bytes_ / 1024) +
            " KiB; writes resume when space is freed (reads still work)");
      }
    }
  }
  if (!write_error_) return absl::OkStatus();
  // Resume succeeds once the cause is gone (space freed); until then every write is refused
  // with the same clear error, and nothing is written.
  LDGS_RETURN_IF_ERROR(FromRocksDb(db_->Resume(), "store refuses writes after a write error"));
  write_error_ = false;
  return absl::OkStatus();
}

absl::StatusOr<ApplyResult> Store::Apply(const std::vector<IncomingRecord>& records,
                                         const std::optional<CheckpointUpdate>& checkpoint) {
  std::unique_lock<std::mutex> lock(write_mu_);
  LDGS_RETURN_IF_ERROR(ResumeAfterWriteErrorLocked());
  rocksdb::WriteBatch batch;
  ApplyResult result;
  uint64_t seq = last_seq_;
  // Records written earlier in this batch, so that later versions in it see them.
  std::map<std::string, StoredEntry> pending;
  std::map<std::string, uint64_t> clocks;

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

    if (held) {
      batch.Delete(changes_, EncodeU64(held->seq));
      for (const std::string& index_key : IndexKeysOf(held->record))
        batch.Delete(index_, index_key);
    }
    next.seq = ++seq;
    next.stored.set_seq(next.seq);
    batch.Put(records_, key, next.stored.SerializeAsString());
    batch.Put(changes_, EncodeU64(next.seq), key);
    for (const std::string& index_key : IndexKeysOf(next.record)) batch.Put(index_, index_key, "");
    uint64_t& clock = clocks[in.record.origin()];
    clock = std::max(clock, in.record.version());
    pending[key] = std::move(next);
    ++result.applied;
  }

  for (const auto& [origin, version] : clocks) {
    LDGS_ASSIGN_OR_RETURN(uint64_t held_clock, ClockOf(origin));
    if (version > held_clock) batch.Put(clock_, origin, EncodeU64(version));
  }
  if (seq != last_seq_) batch.Put(meta_, "last_seq", EncodeU64(seq));
  if (checkpoint) {
    batch.Put(peers_, CheckpointKey(checkpoint->peer, checkpoint->direction),
              EncodeU64(checkpoint->sequence));
  }
  if (batch.Count() == 0) return result;

  rocksdb::WriteOptions options;
  options.sync = true;  // acknowledged means on disk
  if (rocksdb::Status written = db_->Write(options, &batch); !written.ok()) {
    // RocksDB stops taking writes after a failed sync write (e.g. disk full); reads go on.
    write_error_ = true;
    return FromRocksDb(written, "apply batch");
  }
  const bool fed = seq != last_seq_;
  last_seq_ = seq;
  lock.unlock();
  if (fed && commit_listener_) commit_listener_(seq);
  return result;
}

}  // namespace ldgs::storage

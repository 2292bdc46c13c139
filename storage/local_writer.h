#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "common/parallel_for.h"
#include "ldgs/v1/record.pb.h"
#include "record/limits.h"
#include "record/node_key.h"
#include "storage/record_store.h"

namespace ldgs::storage {

// One record for LocalWriter::PutMany: `body` is a Record of which only the body is read.
struct PutItem {
  std::string id;  // empty: derived from the body (DefaultRecordId)
  v1::Visibility visibility = v1::VISIBILITY_UNSPECIFIED;
  v1::Record body;
};

// Writes this node's own records: issues versions from the origin's hybrid logical clock,
// signs, and applies through the record store's apply path. This is where versions are
// decided; the apply path orders them. When a write narrows a record (or deletes it), it
// also signs a tombstone of the same version for the wider audience that had it, so that
// audience drops the body. Thread-safe.
class LocalWriter {
 public:
  // `store` and `key` must outlive the writer.
  LocalWriter(RecordStore* store, const record::NodeKey* key, record::RecordLimits limits);

  // Writes `body` as record `id`: a new record when the id is empty or unknown (visibility
  // defaults to private), otherwise a new version (visibility unchanged when unspecified).
  // Only the body of `body` is read. Returns INVALID_ARGUMENT for a bad body or id, or a
  // kind that differs from the held record's; RESOURCE_EXHAUSTED on a full disk.
  absl::StatusOr<v1::Record> Put(std::string id, v1::Visibility visibility, const v1::Record& body);

  // Put for every item, and `also`, in one synced batch: all are written or none. Items are
  // checked before anything is signed; a later item may write a new version of an earlier
  // one. Returns the written records in item order.
  // `write_class` kNodeState lets a small administrative write (a revocation notice) use
  // half of the disk reserve, as node state does.
  // `validate_only` checks every item as the write would (ids, bodies, kinds, the signed
  // size) and returns the records it would write, writing and signing nothing.
  absl::StatusOr<std::vector<v1::Record>> PutMany(std::vector<PutItem> items,
                                                  const StateChange& also = StateChange(),
                                                  WriteClass write_class = WriteClass::kRecords,
                                                  bool validate_only = false);

  // Signs the records of one PutMany on the calling thread and up to `helpers` tasks of
  // `executor` too. Set before concurrent use.
  void SetSigningExecutor(Executor executor, int helpers) {
    sign_executor_ = std::move(executor);
    sign_helpers_ = helpers;
  }

  // A new version of record `id` with `visibility`. NOT_FOUND if absent or deleted.
  absl::StatusOr<v1::Record> Share(const std::string& id, v1::Visibility visibility);

  // A new version of record `id` made by `change` from the held one, read and written under
  // the writer's lock: no other write of this node comes between. `change` edits the body
  // (identity fields are the writer's) or fails, and then nothing is written. NOT_FOUND if
  // absent or deleted.
  absl::StatusOr<v1::Record> Update(const std::string& id,
                                    const std::function<absl::Status(v1::Record*)>& change);

  // A tombstone version of record `id`. NOT_FOUND if absent or already deleted.
  absl::StatusOr<v1::Record> Delete(const std::string& id);

  // Writes waiting for an earlier write of the same record to commit (tests watch it).
  int WaitingForInFlight();

 private:
  // A version with its identity fields filled in, not signed yet; with the tombstone for the
  // wider audience it narrows.
  struct Stamped {
    v1::Record record;
    std::optional<v1::Record> tombstone;
    v1::Visibility Reach() const;  // the widest audience it leaves having had the record
  };
  // Fills the identity fields of `next` with the version after `*last_issued` (which it
  // advances), with a tombstone when it narrows `held` (whose reach is `held_reach`).
  Stamped Stamp(v1::Record next, const v1::Record* held, v1::Visibility held_reach,
                uint64_t* last_issued) const;
  // INVALID_ARGUMENT when `record` signed would be over the record size limit.
  absl::Status CheckSignedSize(const v1::Record& record) const;
  IncomingRecord Sign(Stamped stamped) const;
  // Stamp, CheckSignedSize and Sign of one version.
  absl::StatusOr<IncomingRecord> Seal(v1::Record next, const StoredEntry* held,
                                      uint64_t* last_issued) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Seals one new version and applies it.
  absl::StatusOr<v1::Record> WriteVersion(v1::Record next, const StoredEntry* held)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<StoredEntry> GetLive(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits, releasing `lock` meanwhile, until no write still committing touches one of
  // `ids`: a write builds on the held version, which an unfinished one is about to change.
  void WaitNotInFlight(std::unique_lock<std::mutex>& lock, const std::set<std::string>& ids)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The last version issued, by committed writes (the store's clock) or committing ones.
  absl::StatusOr<uint64_t> LastIssued() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  RecordStore* store_;
  const record::NodeKey* key_;
  const record::RecordLimits limits_;
  // Versions are issued one batch at a time under mu_, and a batch joins the store's commit
  // queue under it too (so they commit in the order issued); PutMany waits for its commit
  // without it, so that concurrent writes share a sync.
  std::mutex mu_;
  std::condition_variable in_flight_done_;
  std::set<std::string> in_flight_ ABSL_GUARDED_BY(mu_);  // ids of writes still committing
  uint64_t last_issued_ ABSL_GUARDED_BY(mu_) = 0;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  Executor sign_executor_;
  int sign_helpers_ = 0;
};

// The id a new record gets when none is given: derived from the body where the body names
// the record (metric code, observation metric and period, the node profile), random
// otherwise.
std::string DefaultRecordId(const v1::Record& body);

}  // namespace ldgs::storage

#pragma once

#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "ldgs/v1/record.pb.h"
#include "record/limits.h"
#include "record/node_key.h"
#include "storage/store.h"

namespace ldgs::storage {

// Writes this node's own records: issues versions from the origin's hybrid logical clock,
// signs, and applies through the store's apply path. When a write narrows a record (or
// deletes it), it also signs a tombstone of the same version for the wider audience that
// had it, so that audience drops the body. Thread-safe.
class LocalWriter {
 public:
  // `store` and `key` must outlive the writer.
  LocalWriter(Store* store, const record::NodeKey* key, record::RecordLimits limits);

  // Writes `body` (a Record with only its body set) as record `id`: a new record when the id
  // is empty or unknown (visibility defaults to private), otherwise a new version (visibility
  // unchanged when unspecified). An empty id is generated from the body. Returns
  // INVALID_ARGUMENT for a bad body or id, or a kind that differs from the held record's.
  absl::StatusOr<v1::Record> Put(std::string id, v1::Visibility visibility, const v1::Record& body);

  // A new version of record `id` with `visibility`. NOT_FOUND if absent or deleted.
  absl::StatusOr<v1::Record> Share(const std::string& id, v1::Visibility visibility);

  // A tombstone version of record `id`. NOT_FOUND if absent or already deleted.
  absl::StatusOr<v1::Record> Delete(const std::string& id);

 private:
  // Signs `next` (identity fields filled here) against the held version `held` and applies.
  absl::StatusOr<v1::Record> WriteVersion(v1::Record next, const StoredEntry* held)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<StoredEntry> GetLive(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Store* store_;
  const record::NodeKey* key_;
  const record::RecordLimits limits_;
  std::mutex mu_;  // versions are issued and applied one at a time
};

// The id a new record gets when none is given: derived from the body where the body names
// the record (metric code, observation metric and period, the node profile), random
// otherwise.
std::string DefaultRecordId(const v1::Record& body);

}  // namespace ldgs::storage

#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ldgs/v1/record.pb.h"
#include "record/node_key.h"
#include "record/signed_record.h"
#include "storage/record_store.h"

// Records of other nodes for hub tests: identity fields, and batches signed by their origin
// and applied as replication applies them.
namespace ldgs::daemon::hub::test {

// Records sealed by their origin's key, applied in one batch; every one must be new.
class Batch {
 public:
  void Add(const v1::Record& r, const record::NodeKey& key) {
    items_.push_back(storage::IncomingRecord{r, record::SealRecord(r, key), ""});
  }
  absl::Status ApplyTo(storage::RecordStore& store) {
    if (items_.empty()) return absl::OkStatus();
    const size_t n = items_.size();
    absl::StatusOr<storage::ApplyResult> result = store.Apply(items_);
    items_.clear();
    if (!result.ok()) return result.status();
    if (result->applied != static_cast<int>(n)) {
      return absl::InternalError("applied " + std::to_string(result->applied) + " of " +
                                 std::to_string(n));
    }
    return absl::OkStatus();
  }

 private:
  std::vector<storage::IncomingRecord> items_;
};

inline v1::Record Identity(const std::string& origin, const std::string& id, uint64_t version,
                           v1::Kind kind, v1::Visibility visibility) {
  v1::Record r;
  r.set_origin(origin);
  r.set_id(id);
  r.set_version(version);
  r.set_kind(kind);
  r.set_visibility(visibility);
  return r;
}

}  // namespace ldgs::daemon::hub::test

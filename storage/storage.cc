#include "storage/storage.h"

#include "common/status_macros.h"

namespace ldgs::storage {

absl::StatusOr<std::unique_ptr<Storage>> Storage::Open(const std::string& dir,
                                                       const DbOptions& options) {
  LDGS_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(dir, options));
  std::unique_ptr<Storage> storage(new Storage(std::move(db)));
  LDGS_ASSIGN_OR_RETURN(storage->records_, RecordStore::Open(storage->db_.get()));
  // A store without a feed epoch is new (or from before epochs): its feed starts one now.
  absl::StatusOr<std::string> epoch = storage->state_.FeedEpoch();
  if (absl::IsNotFound(epoch.status())) {
    LDGS_RETURN_IF_ERROR(storage->state_.Commit(StateChange().SetFeedEpoch(NewFeedEpoch())));
  } else if (!epoch.ok()) {
    return epoch.status();
  }
  return storage;
}

}  // namespace ldgs::storage

#include "storage/storage.h"

#include "common/status_macros.h"

namespace ldgs::storage {

absl::StatusOr<std::unique_ptr<Storage>> Storage::Open(const std::string& dir) {
  LDGS_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(dir));
  std::unique_ptr<Storage> storage(new Storage(std::move(db)));
  LDGS_ASSIGN_OR_RETURN(storage->records_, RecordStore::Open(storage->db_.get()));
  return storage;
}

}  // namespace ldgs::storage

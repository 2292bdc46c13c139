#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/db.h"
#include "storage/node_state.h"
#include "storage/record_store.h"

namespace ldgs::storage {

// A node's storage: one RocksDB instance (Db) holding the record store and the node-state
// store, so that one batch can carry records and node state together.
class Storage {
 public:
  // Opens (creating if missing) the storage of the data dir `dir`, which must exist.
  // FAILED_PRECONDITION for a schema newer than this build, UNAVAILABLE when another process
  // holds it.
  static absl::StatusOr<std::unique_ptr<Storage>> Open(const std::string& dir,
                                                       const DbOptions& options = DbOptions());

  RecordStore& records() { return *records_; }
  const RecordStore& records() const { return *records_; }
  NodeState& state() { return state_; }
  const NodeState& state() const { return state_; }
  Db& db() { return *db_; }
  const Db& db() const { return *db_; }

 private:
  explicit Storage(std::unique_ptr<Db> db) : db_(std::move(db)), state_(db_.get()) {}

  std::unique_ptr<Db> db_;
  NodeState state_;
  std::unique_ptr<RecordStore> records_;
};

}  // namespace ldgs::storage

#include "storage/schema.h"

#include <memory>
#include <string>

#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/db.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"

namespace ldgs::storage {
namespace {

constexpr char kV1PeersFamily[] = "peers";
constexpr char kV1MarkerPrefix[] = "marker/";
constexpr char kV1AggregatorPeer[] = "~aggregator";
constexpr char kAggregatorCursor[] = "aggregator";  // hub::Aggregator's cursor name

constexpr char kMetaFamily[] = "meta";

bool IsReadableVersion(const std::string& version) {
  return version == "1" || version == "2" || version == "3" ||
         version == std::to_string(kSchemaVersion);
}

}  // namespace

absl::Status SchemaMigration::CheckReadable(const Db& db) {
  rocksdb::ColumnFamilyHandle* meta = db.cf_named(kMetaFamily);
  if (meta == nullptr) return absl::OkStatus();  // a new store
  std::string value;
  rocksdb::Status s = db.raw()->Get(rocksdb::ReadOptions(), meta, kSchemaVersionKey, &value);
  if (s.IsNotFound()) return absl::OkStatus();
  LDGS_RETURN_IF_ERROR(FromRocksDb(s, "read schema version"));
  if (!IsReadableVersion(value)) {
    return absl::FailedPreconditionError("store has schema version " + value.substr(0, 20) +
                                         ", this build reads versions 1 to " +
                                         std::to_string(kSchemaVersion));
  }
  return absl::OkStatus();
}

absl::Status SchemaMigration::Run(Db* db) {
  LDGS_RETURN_IF_ERROR(CheckReadable(*db));
  std::string value;
  rocksdb::Status s = db->raw()->Get(rocksdb::ReadOptions(), db->cf(ColumnFamily::kMeta),
                                     kSchemaVersionKey, &value);
  if (s.IsNotFound()) {  // a new store
    std::unique_lock<std::mutex> lock = db->LockWrites();
    rocksdb::WriteBatch batch;
    batch.Put(db->cf(ColumnFamily::kMeta), kSchemaVersionKey, std::to_string(kSchemaVersion));
    return db->Commit(lock, &batch, WriteClass::kNodeState);
  }
  LDGS_RETURN_IF_ERROR(FromRocksDb(s, "read schema version"));
  if (value == "1") return MigrateFromV1(db);
  // 2: checkpoints gain an epoch; the old ones read as epoch-less. 3: feed values gain
  // their record's kind; the old ones read as kind unknown. Nothing to rewrite for either.
  if (value == "2" || value == "3") {
    std::unique_lock<std::mutex> lock = db->LockWrites();
    rocksdb::WriteBatch batch;
    batch.Put(db->cf(ColumnFamily::kMeta), kSchemaVersionKey, std::to_string(kSchemaVersion));
    return db->Commit(lock, &batch, WriteClass::kNodeState);
  }
  // A migration that committed but stopped before dropping the old family.
  db->DropLegacyColumnFamily(kV1PeersFamily);
  return absl::OkStatus();
}

// Version 1 to 2: node state moves from `peers` and meta to `node_state` (same key layouts,
// markers renamed), and the aggregator's fake peer checkpoint becomes a feed cursor. One
// synced batch, then the old family is dropped; a crash in between leaves a version-2 store
// whose leftover family the next open drops.
absl::Status SchemaMigration::MigrateFromV1(Db* db) {
  std::unique_lock<std::mutex> lock = db->LockWrites();
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* node_state = db->cf(ColumnFamily::kNodeState);
  if (rocksdb::ColumnFamilyHandle* peers = db->cf_named(kV1PeersFamily)) {
    const std::string aggregator_key = CheckpointKey(kV1AggregatorPeer, PeerDirection::kInbound);
    std::unique_ptr<rocksdb::Iterator> it(db->raw()->NewIterator(rocksdb::ReadOptions(), peers));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key() == aggregator_key) {
        batch.Put(db->cf(ColumnFamily::kCursors), kAggregatorCursor, it->value());
      } else {
        batch.Put(node_state, it->key(), it->value());
      }
    }
    LDGS_RETURN_IF_ERROR(FromRocksDb(it->status(), "read version-1 peers"));
  }
  rocksdb::ColumnFamilyHandle* meta = db->cf(ColumnFamily::kMeta);
  std::unique_ptr<rocksdb::Iterator> it(db->raw()->NewIterator(rocksdb::ReadOptions(), meta));
  for (it->Seek(kV1MarkerPrefix); it->Valid() && it->key().starts_with(kV1MarkerPrefix);
       it->Next()) {
    const std::string_view name = it->key().ToStringView().substr(sizeof(kV1MarkerPrefix) - 1);
    batch.Put(node_state, MarkerKey(name), it->value());
    batch.Delete(meta, it->key());
  }
  LDGS_RETURN_IF_ERROR(FromRocksDb(it->status(), "read version-1 markers"));
  batch.Put(meta, kSchemaVersionKey, std::to_string(kSchemaVersion));
  LDGS_RETURN_IF_ERROR(db->Commit(lock, &batch, WriteClass::kNodeState));
  lock.unlock();
  db->DropLegacyColumnFamily(kV1PeersFamily);
  return absl::OkStatus();
}

}  // namespace ldgs::storage

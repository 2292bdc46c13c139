// Db: open with every column family, the guarded commit path, snapshots and backups.
#include "storage/db.h"

#include <sys/statvfs.h>

#include <algorithm>

#include "common/clock.h"
#include "common/status_macros.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"
#include "rocksdb/write_buffer_manager.h"
#include "storage/keys.h"
#include "storage/rocksdb_logger.h"
#include "storage/rocksdb_status.h"
#include "storage/schema.h"

namespace ldgs::storage {
namespace {

constexpr const char* kDefault = "default";
const char* NameOf(ColumnFamily family) {
  switch (family) {
    case ColumnFamily::kRecords:
      return "records";
    case ColumnFamily::kChanges:
      return "changes";
    case ColumnFamily::kClock:
      return "clock";
    case ColumnFamily::kIndex:
      return "index";
    case ColumnFamily::kMeta:
      return "meta";
    case ColumnFamily::kCursors:
      return "cursors";
    case ColumnFamily::kNodeState:
      return "node_state";
  }
  return "";
}
constexpr ColumnFamily kAllFamilies[] = {
    ColumnFamily::kRecords, ColumnFamily::kChanges, ColumnFamily::kClock,    ColumnFamily::kIndex,
    ColumnFamily::kMeta,    ColumnFamily::kCursors, ColumnFamily::kNodeState};

}  // namespace

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& dir, const DbOptions& db_options) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.info_log = MakeStderrLogger();
  options.keep_log_file_num = 4;
  // Retracted bytes must leave the disk (PurgeOverwritten): WAL files are deleted when
  // obsolete, never kept in an archive or recycled (RocksDB's defaults, stated).
  options.recycle_log_file_num = 0;
  options.WAL_ttl_seconds = 0;
  options.WAL_size_limit_MB = 0;
  // The MANIFEST lists each SST file's smallest and largest key, and index keys hold tags:
  // a new MANIFEST at every version change (it holds only the live files) keeps no key of
  // a file compaction removed. Version changes are rare (flushes, compactions) and small.
  options.max_manifest_file_size = 1;
  // No preallocation: a WAL is otherwise given 1.1 write buffers of disk up front, which on a
  // small disk eats the free-space reserve the write guard keeps.
  options.allow_fallocate = false;
  if (db_options.env != nullptr) options.env = db_options.env;
  // One budget for the whole store ([storage] memory_mb): every family reads through the
  // same block cache (index and filter blocks in it too, so a large store's grow no
  // further), and every family's memtables are charged to it, flushed past half of it.
  const size_t budget = std::max<size_t>(db_options.memory_mb, 8) << 20;
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(budget);
  options.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(budget / 2, cache);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Most point lookups on apply are for records not held yet: a filter answers them.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions family_options;
  family_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  family_options.write_buffer_size = std::min<size_t>(budget / 4, 64 << 20);
  if (!db_options.compress) family_options.compression = rocksdb::kNoCompression;
  const std::string path = dir + "/db";
  // RocksDB must open every family a database has: those of this schema, and any an older
  // schema left that a migration still reads (and then drops). Families this schema adds
  // are created only once the stored schema is known to be one this build reads, so that a
  // store this build refuses is left as it was.
  std::vector<std::string> existing;
  if (!rocksdb::DB::ListColumnFamilies(options, path, &existing).ok()) {
    existing = {kDefault};  // a new database
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : existing) {
    descriptors.emplace_back(name, family_options);
  }
  std::unique_ptr<Db> db(new Db());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  LDGS_RETURN_IF_ERROR(FromRocksDb(rocksdb::DB::Open(options, path, descriptors, &handles, &raw),
                                   "open store in " + dir));
  db->db_.reset(raw);
  db->dir_ = dir;
  for (size_t i = 0; i < handles.size(); ++i) db->handles_[existing[i]] = handles[i];
  LDGS_RETURN_IF_ERROR(SchemaMigration::CheckReadable(*db));
  for (ColumnFamily family : kAllFamilies) {
    const std::string name = NameOf(family);
    if (db->handles_.count(name)) continue;
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    LDGS_RETURN_IF_ERROR(FromRocksDb(db->db_->CreateColumnFamily(family_options, name, &handle),
                                     "create column family " + name));
    db->handles_[name] = handle;
  }
  LDGS_RETURN_IF_ERROR(SchemaMigration::Run(db.get()));
  return db;
}

Db::~Db() {
  if (!db_) return;
  for (auto& [name, handle] : handles_)
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

rocksdb::ColumnFamilyHandle* Db::cf(ColumnFamily family) const {
  auto it = handles_.find(NameOf(family));
  LDGS_CHECK(it != handles_.end());
  return it->second;
}

rocksdb::ColumnFamilyHandle* Db::cf_named(std::string_view name) const {
  auto it = handles_.find(name);
  return it == handles_.end() ? nullptr : it->second;
}

void Db::DropLegacyColumnFamily(std::string_view name) {
  auto it = handles_.find(name);
  if (it == handles_.end()) return;
  // Not fatal: the migration has committed, and the next open drops it again.
  if (!db_->DropColumnFamily(it->second).ok()) return;
  db_->DestroyColumnFamilyHandle(it->second).PermitUncheckedError();
  handles_.erase(it);
}

std::unique_lock<std::mutex> Db::LockWrites() const {
  return std::unique_lock<std::mutex>(write_mu_);
}

absl::Status Db::CheckWritable(WriteClass write_class) const {
  // Refuse before RocksDB meets a full disk: its recovery from a failed WAL write is not
  // dependable in the Debian build (an assertion fires), and a refused write is clean.
  if (min_free_bytes_ > 0) {
    struct statvfs fs;
    // Node state (an enrollment, a revocation) may use half the reserve: an operator must
    // still be able to revoke a member that is filling the disk with records.
    const uint64_t minimum =
        write_class == WriteClass::kNodeState ? min_free_bytes_ / 2 : min_free_bytes_;
    if (statvfs(dir_.c_str(), &fs) == 0) {
      const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
      if (free_bytes < minimum) {
        return absl::ResourceExhaustedError(
            "disk full: " + std::to_string(free_bytes / 1024) + " KiB free for " + dir_ +
            ", below the minimum of " + std::to_string(minimum / 1024) +
            " KiB; writes resume when space is freed (reads still work)");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Db::Commit(const std::unique_lock<std::mutex>& held, rocksdb::WriteBatch* batch,
                        WriteClass write_class) {
  LDGS_CHECK(held.owns_lock() && held.mutex() == &write_mu_);
  if (batch->Count() == 0) return absl::OkStatus();
  LDGS_RETURN_IF_ERROR(CheckWritable(write_class));
  if (write_error_) {
    // Resume succeeds once the cause is gone (space freed); until then every write is
    // refused with the same clear error, and nothing is written.
    LDGS_RETURN_IF_ERROR(FromRocksDb(db_->Resume(), "store refuses writes after a write error"));
    write_error_ = false;
  }
  rocksdb::WriteOptions options;
  options.sync = true;  // acknowledged means on disk
  if (rocksdb::Status written = db_->Write(options, batch); !written.ok()) {
    // RocksDB stops taking writes after a failed sync write (e.g. disk full); reads go on.
    write_error_ = true;
    return FromRocksDb(written, "write batch");
  }
  return absl::OkStatus();
}

absl::Status Db::PurgeOverwritten(const std::vector<ColumnFamily>& families) {
  std::vector<rocksdb::ColumnFamilyHandle*> all;
  for (ColumnFamily family : kAllFamilies) all.push_back(cf(family));
  rocksdb::FlushOptions flush;
  flush.wait = true;
  LDGS_RETURN_IF_ERROR(FromRocksDb(db_->Flush(flush, all), "flush"));
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  compact.exclusive_manual_compaction = false;  // writers and flushes go on meanwhile
  for (ColumnFamily family : families) {
    LDGS_RETURN_IF_ERROR(
        FromRocksDb(db_->CompactRange(compact, cf(family), nullptr, nullptr), "compact"));
  }
  // A new MANIFEST is written at the next version change, with the current files only (the
  // one written by the compaction still lists the removed files): make one.
  {
    std::unique_lock<std::mutex> lock = LockWrites();
    rocksdb::WriteBatch batch;
    batch.Put(cf(ColumnFamily::kMeta), kLastPurgeKey,
              EncodeU64(static_cast<uint64_t>(NowMicros())));
    LDGS_RETURN_IF_ERROR(Commit(lock, &batch, WriteClass::kNodeState));
  }
  return FromRocksDb(db_->Flush(flush, cf(ColumnFamily::kMeta)), "flush");
}

void Db::CancelPurges() { db_->DisableManualCompaction(); }

absl::Status Db::CreateBackup(const std::string& db_dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  LDGS_RETURN_IF_ERROR(FromRocksDb(rocksdb::Checkpoint::Create(db_.get(), &raw), "backup"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocksDb(checkpoint->CreateCheckpoint(db_dir), "backup to " + db_dir);
}

SnapshotRead::SnapshotRead(const Db& db)
    : db_(db.raw()),
      snapshot_(db_->GetSnapshot()),
      options_(std::make_unique<rocksdb::ReadOptions>()) {
  options_->snapshot = snapshot_;
}

SnapshotRead::~SnapshotRead() { db_->ReleaseSnapshot(snapshot_); }

}  // namespace ldgs::storage

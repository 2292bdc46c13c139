#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Env;
class Snapshot;
class WriteBatch;
struct ReadOptions;
}  // namespace rocksdb

namespace ldgs::storage {

// The column families of the current schema (see storage/schema.h for what each holds).
enum class ColumnFamily { kRecords, kChanges, kClock, kIndex, kMeta, kCursors, kNodeState };

// What a write carries, for the free-space guard: records need the full reserve; node state
// (enrollments, revocations, checkpoints) may use half of it, so that an operator can still
// revoke a member that is filling the disk.
enum class WriteClass { kRecords, kNodeState };

// How the store is kept on disk.
struct DbOptions {
  bool compress = true;  // SST blocks compressed (off: tests that scan files for bytes)
  // The one memory budget of the store: a block cache shared by every column family, with
  // the memtables (write buffers) of all of them charged to it, half of it at most.
  size_t memory_mb = 64;
  // Tests: a file system that watches syncs (must outlive the Db). nullptr: the default.
  rocksdb::Env* env = nullptr;
};

// The node's one RocksDB instance, shared by the record store and the node-state store, and
// the one path by which anything is written: LockWrites, build a WriteBatch, Commit. Commit
// is synced (acknowledged means on disk) and guarded: refused while the disk is short of
// space or after RocksDB stopped taking writes, with nothing written. Thread-safe.
class Db {
 public:
  // Opens (creating if missing) the RocksDB in `dir`/db, which `dir` must exist for, and
  // brings its schema to the current version (storage/schema.h). FAILED_PRECONDITION for a
  // schema newer than this build, UNAVAILABLE when another process holds it.
  static absl::StatusOr<std::unique_ptr<Db>> Open(const std::string& dir,
                                                  const DbOptions& options = DbOptions());
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  rocksdb::DB* raw() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(ColumnFamily family) const;

  // One writer at a time: hold this while reading what a batch depends on and committing it.
  [[nodiscard]] std::unique_lock<std::mutex> LockWrites() const;

  // Writes `batch` synced. `held` must be a lock from LockWrites. RESOURCE_EXHAUSTED while
  // the file system has less than the minimum free space for `write_class` (nothing
  // written; writes resume when space returns); the RocksDB error otherwise. An empty batch
  // writes nothing.
  absl::Status Commit(const std::unique_lock<std::mutex>& held, rocksdb::WriteBatch* batch,
                      WriteClass write_class = WriteClass::kRecords);

  // Writes are refused while the data dir's file system has less than `bytes` available. 0
  // disables the check. Set before concurrent use.
  void SetMinFreeBytes(uint64_t bytes) { min_free_bytes_ = bytes; }

  // A consistent, openable copy of the database in `db_dir` (which must not exist) while
  // writers run (a RocksDB checkpoint: hard links where it can).
  absl::Status CreateBackup(const std::string& db_dir) const;

  // Makes the bytes of deleted and overwritten values leave the store's files: flushes
  // every family (a WAL file is deleted once no memtable needs it, never recycled) and
  // compacts `families` whole to the last level (no SST keeps an older value: no snapshot
  // outlives a read). Blocking: a full compaction of those families.
  absl::Status PurgeOverwritten(const std::vector<ColumnFamily>& families);
  // Makes a running PurgeOverwritten give up (and every later one): at shutdown.
  void CancelPurges();

  const std::string& dir() const { return dir_; }

  // How many committed batches changed an enrollment since the store opened: caches of the
  // member list reload when it moves. Counted by the committers (StateChange knows).
  uint64_t enrollment_writes() const { return enrollment_writes_.load(); }
  void CountEnrollmentWrite() { ++enrollment_writes_; }

 private:
  friend class SchemaMigration;  // reads families of older schemas, drops them
  Db() = default;
  absl::Status CheckWritable(WriteClass write_class) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // A family by name, this schema's or an older one's; nullptr when the store has none.
  rocksdb::ColumnFamilyHandle* cf_named(std::string_view name) const;
  // Drops a family a migration emptied; a failure leaves it for the next open.
  void DropLegacyColumnFamily(std::string_view name);

  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> handles_;  // owned
  std::string dir_;
  uint64_t min_free_bytes_ = 0;
  mutable std::mutex write_mu_;
  bool write_error_ ABSL_GUARDED_BY(write_mu_) = false;
  std::atomic<uint64_t> enrollment_writes_{0};
};

// Releases a snapshot when a read is done; reads that span several keys use one.
class SnapshotRead {
 public:
  explicit SnapshotRead(const Db& db);
  ~SnapshotRead();
  SnapshotRead(const SnapshotRead&) = delete;
  SnapshotRead& operator=(const SnapshotRead&) = delete;
  const rocksdb::ReadOptions& options() const { return *options_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
  std::unique_ptr<rocksdb::ReadOptions> options_;
};

}  // namespace ldgs::storage

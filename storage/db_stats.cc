#include "storage/db_stats.h"

#include <string>

#include "rocksdb/db.h"

namespace ldgs::storage {
namespace {

uint64_t Summed(const Db& db, const std::string& property) {
  uint64_t value = 0;
  return db.raw()->GetAggregatedIntProperty(property, &value) ? value : 0;
}

uint64_t Single(const Db& db, const std::string& property) {
  uint64_t value = 0;
  return db.raw()->GetIntProperty(property, &value) ? value : 0;
}

}  // namespace

DbStats ReadDbStats(const Db& db) {
  DbStats stats;
  stats.memtable_bytes = Summed(db, rocksdb::DB::Properties::kCurSizeAllMemTables);
  stats.block_cache_bytes = Single(db, rocksdb::DB::Properties::kBlockCacheUsage);
  stats.sst_bytes = Summed(db, rocksdb::DB::Properties::kTotalSstFilesSize);
  stats.pending_compaction_bytes =
      Summed(db, rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
  stats.running_compactions = Single(db, rocksdb::DB::Properties::kNumRunningCompactions);
  stats.running_flushes = Single(db, rocksdb::DB::Properties::kNumRunningFlushes);
  stats.writes_stopped = Single(db, rocksdb::DB::Properties::kIsWriteStopped) != 0;
  stats.delayed_write_rate = Single(db, rocksdb::DB::Properties::kActualDelayedWriteRate);
  stats.background_errors = Single(db, rocksdb::DB::Properties::kBackgroundErrors);
  return stats;
}

}  // namespace ldgs::storage

#pragma once

#include <cstdint>

#include "storage/db.h"

namespace ldgs::storage {

// What an operator watches of the node's RocksDB, from its properties, summed over every
// column family where RocksDB keeps one per family.
struct DbStats {
  uint64_t memtable_bytes = 0;            // rocksdb.cur-size-all-mem-tables
  uint64_t block_cache_bytes = 0;         // rocksdb.block-cache-usage (one shared cache)
  uint64_t sst_bytes = 0;                 // rocksdb.total-sst-files-size
  uint64_t pending_compaction_bytes = 0;  // rocksdb.estimate-pending-compaction-bytes
  uint64_t running_compactions = 0;       // rocksdb.num-running-compactions
  uint64_t running_flushes = 0;           // rocksdb.num-running-flushes
  bool writes_stopped = false;            // rocksdb.is-write-stopped: a stall
  uint64_t delayed_write_rate = 0;        // rocksdb.actual-delayed-write-rate: a slowdown
  uint64_t background_errors = 0;         // rocksdb.background-errors
};

DbStats ReadDbStats(const Db& db);

}  // namespace ldgs::storage

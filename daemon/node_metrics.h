#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "daemon/replication/peer_registry.h"
#include "ldgs/v1/admin.pb.h"
#include "storage/db.h"
#include "storage/record_store.h"

namespace ldgs::daemon {

// The node's /metrics page in the Prometheus text format: what it holds (records by kind
// and visibility, the feed head), each peer (connected, lag both ways, last sync, batches
// and records received, refused records, forks, errors by kind), and its RocksDB (memtables,
// block cache, pending compaction, stalls). Thread-safe.
class NodeMetrics {
 public:
  struct Sources {
    std::string node_id;
    bool is_hub = false;
    std::string version;
    int64_t started_us = 0;
    const storage::RecordStore* records = nullptr;
    const storage::Db* db = nullptr;
    const replication::PeerRegistry* registry = nullptr;
    // The peers view (`ldgsctl peers`): relation, connection and lag of every peer.
    std::function<absl::StatusOr<v1::ListPeersResponse>()> peers;
  };
  explicit NodeMetrics(Sources sources);

  // The page. Records are counted by a scan of the store, at most once a minute (a hub may
  // hold millions); the page says how old the count is.
  std::string Render();

 private:
  struct Counts {
    std::map<std::tuple<v1::Kind, v1::Visibility>, uint64_t> by_kind;
    uint64_t own_rollups = 0;  // rollups this node published
    int64_t counted_us = 0;
    absl::Status status;
  };
  const Counts& CountsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Sources sources_;
  std::mutex mu_;  // one render at a time: a recount is paid once
  Counts counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ldgs::daemon

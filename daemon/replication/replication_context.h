#pragma once

#include <functional>

#include "daemon/replication/batch_limits.h"
#include "daemon/replication/change_notifier.h"
#include "daemon/replication/peer_registry.h"
#include "daemon/replication/session_table.h"
#include "daemon/replication/visibility_filter.h"
#include "record/limits.h"
#include "record/node_key.h"
#include "storage/store.h"

namespace ldgs::daemon::replication {

// Runs a task off the gRPC callback threads (the node's storage pool).
using Executor = std::function<void(std::function<void()>)>;

// What every replication piece of a node shares. Owned by the Node; outlives every stream.
struct ReplicationContext {
  storage::Store* store = nullptr;
  const record::NodeKey* key = nullptr;
  SelfView self;
  record::RecordLimits record_limits;
  BatchLimits batch_limits;
  ChangeNotifier* notifier = nullptr;
  PeerRegistry* registry = nullptr;
  SessionTable* sessions = nullptr;
  Executor executor;
};

}  // namespace ldgs::daemon::replication

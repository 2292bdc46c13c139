#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "common/parallel_for.h"
#include "daemon/replication/batch_limits.h"
#include "daemon/replication/change_notifier.h"
#include "daemon/replication/hub_chain.h"
#include "daemon/replication/peer_registry.h"
#include "daemon/replication/revocations.h"
#include "daemon/replication/session_table.h"
#include "daemon/replication/visibility_filter.h"
#include "grpcpp/security/credentials.h"
#include "record/limits.h"
#include "record/node_key.h"
#include "storage/node_state.h"
#include "storage/record_store.h"

namespace ldgs::daemon::replication {

// Runs a task off the gRPC callback threads (the node's storage pool).
using Executor = ldgs::Executor;

// What every replication piece of a node shares. Owned by the Node; outlives every stream.
struct ReplicationContext {
  storage::RecordStore* records = nullptr;
  storage::NodeState* state = nullptr;
  const record::NodeKey* key = nullptr;
  bool is_hub = false;            // this node's own role, from its own config
  HubChain* hub_chain = nullptr;  // who may send this node rollups and revocations
  Revocations* revocations = nullptr;
  record::RecordLimits record_limits;
  BatchLimits batch_limits;
  ChangeNotifier* notifier = nullptr;
  PeerRegistry* registry = nullptr;
  SessionTable* sessions = nullptr;
  Executor executor;
  // Runs a task on the executor after a delay (a throttled push resumes with it).
  std::function<void(std::chrono::milliseconds, std::function<void()>)> run_after;
  // How many executor tasks may help check one batch's records (the node's cores less one).
  int verify_helpers = 0;
  // Mutual TLS between nodes when set: dialers present `dial_credentials` and expect the
  // peer's certificate to name its node ID; the service checks the caller's certificate.
  bool tls = false;
  std::shared_ptr<grpc::ChannelCredentials> dial_credentials;

  // This node as the visibility rule sees it, now.
  SelfView Self() const { return {key->node_id(), is_hub, hub_chain->Members()}; }
  // Rebuilds the revoked set after the hub chain or a revocation record changed.
  absl::Status ReloadRevocations() const {
    return revocations->Reload(*records, key->node_id(), hub_chain->Members());
  }
};

}  // namespace ldgs::daemon::replication

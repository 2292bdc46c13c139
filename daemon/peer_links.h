#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "daemon/replication/dial_peer.h"
#include "daemon/replication/peer_link.h"
#include "daemon/replication/replication_context.h"

namespace boost::asio {
class io_context;
}

namespace ldgs::daemon {

// The peers this node dials (its hub, sister chapters) and a running link to each. Peers
// come from the config at start and from joins while the node runs; a joined peer is also
// appended to the config file, so that the node dials it again after a restart.
// Thread-safe.
class PeerLinks {
 public:
  // `io` and `context` must outlive this object; `config_path` is the node's config file.
  PeerLinks(boost::asio::io_context* io, replication::ReplicationContext* context,
            replication::ReconnectPolicy policy, std::string config_path);
  ~PeerLinks();

  // Starts dialing the peers of the config (not written back to it).
  void StartConfigured(const std::vector<replication::DialPeer>& peers);

  // Starts dialing `peer` and remembers it in the config file; OK without a change when it
  // is dialed already. UNAVAILABLE once the node is stopping.
  absl::Status Add(const replication::DialPeer& peer);

  std::vector<replication::DialPeer> List() const;

  // Stops every link (blocks until their sessions end); no link is added afterwards.
  void StopAll();

 private:
  void StartLinkLocked(const replication::DialPeer& peer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  boost::asio::io_context* io_;
  replication::ReplicationContext* context_;
  const replication::ReconnectPolicy policy_;
  const std::string config_path_;
  mutable std::mutex mu_;
  std::vector<replication::DialPeer> peers_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<replication::PeerLink>> links_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ldgs::daemon

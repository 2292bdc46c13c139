#include "daemon/peer_links.h"

#include "common/status_macros.h"
#include "daemon/config.h"

namespace ldgs::daemon {

PeerLinks::PeerLinks(boost::asio::io_context* io, replication::ReplicationContext* context,
                     replication::ReconnectPolicy policy, std::string config_path)
    : io_(io), context_(context), policy_(policy), config_path_(std::move(config_path)) {}

PeerLinks::~PeerLinks() { StopAll(); }

void PeerLinks::StartLinkLocked(const replication::DialPeer& peer) {
  peers_.push_back(peer);
  links_.push_back(std::make_unique<replication::PeerLink>(io_, context_, peer, policy_));
  links_.back()->Start();
}

void PeerLinks::StartConfigured(const std::vector<replication::DialPeer>& peers) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const replication::DialPeer& peer : peers) StartLinkLocked(peer);
}

absl::Status PeerLinks::Add(const replication::DialPeer& peer) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return absl::UnavailableError("the node is stopping");
  for (const replication::DialPeer& known : peers_) {
    if (known.node_id == peer.node_id) return absl::OkStatus();  // joined before
  }
  LDGS_RETURN_IF_ERROR(AppendPeerToConfig(config_path_, peer));
  StartLinkLocked(peer);
  return absl::OkStatus();
}

std::vector<replication::DialPeer> PeerLinks::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peers_;
}

void PeerLinks::StopAll() {
  std::vector<replication::PeerLink*> links;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    for (auto& link : links_) links.push_back(link.get());
  }
  // Outside the lock: a link's session may be answering a ListPeers that needs it. No link
  // is added once closed, so the pointers stay valid.
  for (replication::PeerLink* link : links) link->Stop();
}

}  // namespace ldgs::daemon

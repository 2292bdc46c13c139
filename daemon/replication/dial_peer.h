#pragma once

#include <chrono>
#include <string>

#include "ldgs/v1/peer.pb.h"

namespace ldgs::daemon::replication {

// A peer this node dials: its hub, or a sister chapter.
struct DialPeer {
  std::string node_id;
  std::string address;
  v1::Relation relation = v1::RELATION_HUB;  // hub or sister
};

struct ReconnectPolicy {
  std::chrono::milliseconds initial{200};
  std::chrono::milliseconds max{10000};
  // Streams are re-opened at least this often, so every call has a deadline.
  std::chrono::seconds stream_lifetime{600};
};

}  // namespace ldgs::daemon::replication

#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ldgs/v1/peer.pb.h"
#include "ldgs/v1/record.pb.h"
#include "storage/record_store.h"

// The single place where visibility is enforced, for every sender and every receiver.
// Pure functions of (record, this node, peer): no gRPC, no storage access.
namespace ldgs::daemon::replication {

struct SelfView {
  std::string node_id;
  bool is_hub = false;
};

struct PeerView {
  std::string node_id;
  v1::Relation relation = v1::RELATION_UNSPECIFIED;  // how the peer stands to this node
  bool is_hub = false;                               // the role the peer proved in Hello
  bool wants_own = false;  // recovering from a restore: send its own records back too
};

// Whether this node may send `record` (a current version or a retraction tombstone) to
// `peer`:
//   private      never, in any message;
//   hub          the origin's own record, to the origin's direct hubs only;
//   network,     the origin's own record to any peer; another origin's record only when
//   public       this node is a hub relaying it to its hub or its members.
// A record goes back to its origin only when the origin asked (wants_own, after a restore
// from backup), and an unknown relation gets nothing.
bool MaySend(const v1::Record& record, const SelfView& self, const PeerView& peer);

// The receiver's re-check: whether `peer` may have sent `record`. Its own records as
// above, network/public records relayed by a hub, or this node's own non-private records
// handed back (signed by this node, so nothing can be forged that way). PERMISSION_DENIED
// (naming the record and the rule) otherwise.
absl::Status CheckMayReceive(const v1::Record& record, const SelfView& self, const PeerView& peer);

// The signed payloads of a stored record that go to `peer`: the current version and/or
// its retraction tombstone, each when MaySend allows it. Empty when nothing may go.
std::vector<std::string> OutboundPayloads(const storage::StoredEntry& entry, const SelfView& self,
                                          const PeerView& peer);

}  // namespace ldgs::daemon::replication

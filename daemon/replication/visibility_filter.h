#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ldgs/v1/peer.pb.h"
#include "ldgs/v1/record.pb.h"
#include "storage/record_store.h"

// The one rule of what passes between this node and a peer, for every sender and every
// receiver: the sender filters with it, the receiver checks with it. Pure functions of
// (record, this node, peer, facts): no gRPC, no storage access.
namespace ldgs::daemon::replication {

// This node as the rule sees it: its own role (its own config) and its hub chain (its hub
// and the hubs above, as its hub announced them in Hello).
struct SelfView {
  std::string node_id;
  bool is_hub = false;
  std::set<std::string> hub_chain;
};

// A peer as the rule sees it. `relation` comes from this node's config for peers it dials
// (hub, sister) and from the enrollment its operator made for peers that dial it (member,
// member hub, sister): never from anything the peer claims.
struct PeerView {
  std::string node_id;
  v1::Relation relation = v1::RELATION_UNSPECIFIED;
  bool wants_own = false;  // recovering from a restore: send its own records back too
};

// What the rule needs to know of this node's store about one record.
struct RecordFacts {
  bool origin_revoked = false;  // a hub of this node's chain (or this node) revoked it
  bool already_held = false;    // this node holds (origin, id) already
};

enum class Flow { kSend, kReceive };

// Whether `record` may pass from this node to `peer` (kSend) or from `peer` to this node
// (kReceive). The rule, with "up" a member towards its hub, "down" a hub towards a member:
//   private      never, in any message;
//   hub          up only, and only by its origin (a hub never relays it);
//   network,     by its origin on any link; relayed up only by a member hub, down only by
//   public       the hub (a sister or a member chapter relays nothing);
//   rollups,     down only, and only when the origin is in the receiver's hub chain (or is
//   revocations  the sending hub itself); a contribution goes up only, from a member hub
//                that made it;
//   any record   of a revoked origin is refused but a tombstone of one the receiver holds,
//                and a revoked peer is sent nothing; a node's own records go back to it only
//                when it asked (recovery), and it takes them back.
// OK, or PERMISSION_DENIED naming the record and the rule.
absl::Status MayPass(const v1::Record& record, const SelfView& self, const PeerView& peer,
                     Flow flow, const RecordFacts& facts = RecordFacts());

inline bool MaySend(const v1::Record& record, const SelfView& self, const PeerView& peer,
                    const RecordFacts& facts = RecordFacts()) {
  return MayPass(record, self, peer, Flow::kSend, facts).ok();
}
inline absl::Status CheckMayReceive(const v1::Record& record, const SelfView& self,
                                    const PeerView& peer,
                                    const RecordFacts& facts = RecordFacts()) {
  return MayPass(record, self, peer, Flow::kReceive, facts);
}

// The signed payloads of a stored record that go to `peer`: the current version and/or
// its retraction tombstone, each when the rule allows it. Empty when nothing may go.
std::vector<std::string> OutboundPayloads(const storage::StoredEntry& entry, const SelfView& self,
                                          const PeerView& peer, bool peer_revoked = false);

}  // namespace ldgs::daemon::replication

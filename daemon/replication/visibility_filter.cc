#include "daemon/replication/visibility_filter.h"

#include "record/signed_record.h"

namespace ldgs::daemon::replication {
namespace {

enum class Link { kNone, kUp, kDown, kSide };

// The link between sender and receiver, whichever of them this node is.
Link LinkOf(const PeerView& peer, Flow flow) {
  switch (peer.relation) {
    case v1::RELATION_HUB:  // the peer is this node's hub
      return flow == Flow::kSend ? Link::kUp : Link::kDown;
    case v1::RELATION_MEMBER:
    case v1::RELATION_MEMBER_HUB:  // the peer is a member of this hub
      return flow == Flow::kSend ? Link::kDown : Link::kUp;
    case v1::RELATION_SISTER:
      return Link::kSide;
    default:
      return Link::kNone;
  }
}

// Whether the lower end of an up or down link is a hub, from what this node knows for sure:
// its own role when it is the lower end, the enrollment when the peer is.
bool LowerEndIsHub(const SelfView& self, const PeerView& peer) {
  return peer.relation == v1::RELATION_HUB ? self.is_hub : peer.relation == v1::RELATION_MEMBER_HUB;
}

absl::Status Deny(const v1::Record& record, const PeerView& peer, Flow flow,
                  const std::string& rule) {
  return absl::PermissionDeniedError(
      std::string(flow == Flow::kSend ? "may not send "
                                      : "peer " + peer.node_id + " may not send ") +
      v1::Kind_Name(record.kind()) + " " + record.id() + " of " + record.origin() + " (" +
      v1::Visibility_Name(record.visibility()) + "): " + rule);
}

}  // namespace

absl::Status MayPass(const v1::Record& record, const SelfView& self, const PeerView& peer,
                     Flow flow, const RecordFacts& facts) {
  const Link link = LinkOf(peer, flow);
  const std::string& sender = flow == Flow::kSend ? self.node_id : peer.node_id;
  const std::string& receiver = flow == Flow::kSend ? peer.node_id : self.node_id;
  const v1::Visibility visibility = record.visibility();
  if (link == Link::kNone) return Deny(record, peer, flow, "unknown relation");
  if (visibility != v1::VISIBILITY_HUB && visibility != v1::VISIBILITY_NETWORK &&
      visibility != v1::VISIBILITY_PUBLIC) {
    return Deny(record, peer, flow, "private records never leave their node");
  }
  // After a revocation only a retraction of what is held still arrives: no new record, and
  // no new content in an old one.
  if (facts.origin_revoked && !(facts.already_held && record.deleted())) {
    return Deny(record, peer, flow, "its origin was revoked");
  }
  // A node's own records, handed back after a restore: only when it asked, and it takes
  // them (signed by itself, nothing can be forged that way).
  if (record.origin() == receiver) {
    if (flow == Flow::kReceive) return absl::OkStatus();
    return peer.wants_own ? absl::OkStatus()
                          : Deny(record, peer, flow, "its origin has it already");
  }
  const bool by_origin = record.origin() == sender;
  if (record.kind() == v1::KIND_ROLLUP && record.rollup().contribution()) {
    // What a member hub tells its hub about its subtree: up, from that member hub only.
    if (link == Link::kUp && by_origin && LowerEndIsHub(self, peer) &&
        visibility == v1::VISIBILITY_HUB) {
      return absl::OkStatus();
    }
    return Deny(record, peer, flow, "contributions go only from a member hub to its hub");
  }
  if (record.kind() == v1::KIND_ROLLUP || record.kind() == v1::KIND_REVOCATION) {
    // Authoritative only from the receiver's hub chain: flows down, never up or sideways.
    const bool from_chain = flow == Flow::kSend
                                ? (by_origin || self.hub_chain.count(record.origin()) > 0)
                                : self.hub_chain.count(record.origin()) > 0;
    if (link == Link::kDown && from_chain && visibility != v1::VISIBILITY_HUB) {
      return absl::OkStatus();
    }
    return Deny(record, peer, flow, "rollups and revocations come only from the hub chain");
  }
  if (visibility == v1::VISIBILITY_HUB) {
    if (link == Link::kUp && by_origin) return absl::OkStatus();
    return Deny(record, peer, flow, "hub records go only from their origin to its hub");
  }
  // network and public
  if (by_origin) return absl::OkStatus();
  // The hub relays to its members. (Only a node in hub role relays; a member takes what
  // its configured hub sends.)
  if (link == Link::kDown && (flow == Flow::kReceive || self.is_hub)) return absl::OkStatus();
  if (link == Link::kUp && LowerEndIsHub(self, peer)) return absl::OkStatus();
  return Deny(record, peer, flow,
              "only a hub relays other nodes' records (member hubs up, hubs down)");
}

std::vector<std::string> OutboundPayloads(const storage::StoredEntry& entry, const SelfView& self,
                                          const PeerView& peer, bool peer_revoked) {
  std::vector<std::string> payloads;
  if (peer_revoked) return payloads;  // a revoked node is sent nothing
  if (MaySend(entry.record, self, peer)) payloads.push_back(entry.stored.signed_bytes());
  if (!entry.stored.retraction().empty()) {
    absl::StatusOr<v1::Record> retraction = record::DecodeSignedRecord(entry.stored.retraction());
    if (retraction.ok() && MaySend(*retraction, self, peer)) {
      payloads.push_back(entry.stored.retraction());
    }
  }
  return payloads;
}

}  // namespace ldgs::daemon::replication

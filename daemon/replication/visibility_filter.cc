#include "daemon/replication/visibility_filter.h"

#include "record/signed_record.h"

namespace ldgs::daemon::replication {
namespace {

bool IsRelayPath(const SelfView& self, const PeerView& peer) {
  return self.is_hub && (peer.relation == v1::RELATION_HUB || peer.relation == v1::RELATION_MEMBER);
}

bool IsKnownRelation(v1::Relation relation) {
  return relation == v1::RELATION_HUB || relation == v1::RELATION_MEMBER ||
         relation == v1::RELATION_SISTER;
}

}  // namespace

bool MaySend(const v1::Record& record, const SelfView& self, const PeerView& peer) {
  if (!IsKnownRelation(peer.relation)) return false;
  if (record.origin() == peer.node_id) {
    return peer.wants_own && (record.visibility() == v1::VISIBILITY_HUB ||
                              record.visibility() == v1::VISIBILITY_NETWORK ||
                              record.visibility() == v1::VISIBILITY_PUBLIC);
  }
  const bool own = record.origin() == self.node_id;
  switch (record.visibility()) {
    case v1::VISIBILITY_HUB:
      return own && peer.relation == v1::RELATION_HUB;
    case v1::VISIBILITY_NETWORK:
    case v1::VISIBILITY_PUBLIC:
      return own || IsRelayPath(self, peer);
    default:  // private, and anything unknown
      return false;
  }
}

absl::Status CheckMayReceive(const v1::Record& record, const SelfView& self, const PeerView& peer) {
  const bool from_origin = record.origin() == peer.node_id;
  if (record.origin() == self.node_id && IsKnownRelation(peer.relation) &&
      record.visibility() != v1::VISIBILITY_PRIVATE &&
      record.visibility() != v1::VISIBILITY_UNSPECIFIED) {
    return absl::OkStatus();
  }
  bool allowed = false;
  switch (record.visibility()) {
    case v1::VISIBILITY_HUB:
      // Only a member sends its hub-only records, and only to its hub (this node).
      allowed = from_origin && peer.relation == v1::RELATION_MEMBER;
      break;
    case v1::VISIBILITY_NETWORK:
    case v1::VISIBILITY_PUBLIC:
      allowed = IsKnownRelation(peer.relation) &&
                (from_origin || (peer.is_hub && (peer.relation == v1::RELATION_HUB ||
                                                 peer.relation == v1::RELATION_MEMBER)));
      break;
    default:
      allowed = false;
  }
  if (allowed) return absl::OkStatus();
  return absl::PermissionDeniedError(
      "peer " + peer.node_id + " may not send record " + record.id() + " of " + record.origin() +
      " with visibility " + v1::Visibility_Name(record.visibility()) +
      (from_origin ? "" : ": only hubs relay other nodes' network records"));
}

std::vector<std::string> OutboundPayloads(const storage::StoredEntry& entry, const SelfView& self,
                                          const PeerView& peer) {
  std::vector<std::string> payloads;
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

#include "daemon/admin_service.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "common/clock.h"
#include "common/status_macros.h"
#include "common/text.h"
#include "daemon/data_dir.h"
#include "daemon/hub/rollup.h"
#include "daemon/replication/join_client.h"
#include "daemon/replication/session_table.h"
#include "proto/grpc_status.h"
#include "record/node_key.h"
#include "record/record_validation.h"

namespace ldgs::daemon {
namespace {

constexpr uint32_t kDefaultListLimit = 1000;
constexpr uint32_t kMaxListLimit = 100000;
constexpr uint32_t kMaxWaitMs = 60000;
constexpr size_t kMaxRegionBytes = 64;
constexpr size_t kMaxPageTokenBytes = 2048;
// Under the Admin server's 4 MiB message cap, with room for the envelope.
constexpr size_t kMaxListResponseBytes = 3 * 1024 * 1024;

// What an enrollment (or an invite for one) may say: members and member hubs count in a
// region, whose name is an id ([A-Za-z0-9._-], so that rollup ids can hold it); a sister
// has none.
absl::Status CheckEnrollmentTerms(v1::Relation relation, const std::string& region,
                                  const std::string& note) {
  if (relation != v1::RELATION_MEMBER && relation != v1::RELATION_MEMBER_HUB &&
      relation != v1::RELATION_SISTER) {
    return absl::InvalidArgumentError("a node is enrolled as a member, a member hub or a sister");
  }
  if (relation == v1::RELATION_SISTER) {
    if (!region.empty()) return absl::InvalidArgumentError("a sister chapter has no region here");
  } else if (!record::IsValidRecordId(region, kMaxRegionBytes) ||
             region.find(':') != std::string::npos) {
    return absl::InvalidArgumentError(
        "give the region the member counts in (--region NAME: 1-64 letters, digits, '.', '_' "
        "or '-')");
  }
  if (note.size() > record::RecordLimits().max_short_text_bytes) {
    return absl::InvalidArgumentError("note is too long");
  }
  return absl::OkStatus();
}

}  // namespace

AdminService::AdminService(Deps deps) : deps_(std::move(deps)) {}

absl::Status AdminService::CheckRegionIsOfOneKind(v1::Relation relation, const std::string& region,
                                                  const std::string& node_id) const {
  if (relation != v1::RELATION_MEMBER && relation != v1::RELATION_MEMBER_HUB) {
    return absl::OkStatus();
  }
  LDGS_ASSIGN_OR_RETURN(std::vector<v1::Enrollment> enrollments,
                        deps_.storage->state().ListEnrollments());
  for (const v1::Enrollment& e : enrollments) {
    if (e.revoked() || e.node_id() == node_id || e.region() != region) continue;
    const bool hub = e.relation() == v1::RELATION_MEMBER_HUB;
    const bool chapter = e.relation() == v1::RELATION_MEMBER;
    if ((relation == v1::RELATION_MEMBER && hub) ||
        (relation == v1::RELATION_MEMBER_HUB && (chapter || hub))) {
      // A subtree's figure is public below: a chapter in the same region would be that
      // region's figure minus it, and two subtrees in one region could not be told apart.
      return absl::FailedPreconditionError("region " + region + " already holds " +
                                           (hub ? "a member hub" : "member chapters") +
                                           "; a member hub's region is its own");
    }
  }
  return absl::OkStatus();
}

absl::Status AdminService::CheckObservationBounds(const v1::Record& body) const {
  if (!body.has_metric_observation()) return absl::OkStatus();
  const v1::MetricObservation& o = body.metric_observation();
  // The definition that counts: this node's own, else its hub chain's.
  std::vector<std::string> authorities = {deps_.node_id};
  for (const std::string& hub : deps_.replication->hub_chain->NearestFirst()) {
    authorities.push_back(hub);
  }
  for (const std::string& origin : authorities) {
    absl::StatusOr<storage::StoredEntry> held =
        deps_.storage->records().Get(origin, "metric:" + o.metric());
    if (!held.ok() || !held->record.has_metric_definition()) continue;
    const v1::MetricDefinition& d = held->record.metric_definition();
    if ((d.has_min_value() && o.value() < d.min_value()) ||
        (d.has_max_value() && o.value() > d.max_value())) {
      return absl::InvalidArgumentError(
          "value of " + o.metric() + " must be within its definition's bounds (" +
          (d.has_min_value() ? std::to_string(d.min_value()) : "-inf") + " to " +
          (d.has_max_value() ? std::to_string(d.max_value()) : "inf") + ")");
    }
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

grpc::Status AdminService::CheckToken(const grpc::ServerContext& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (it == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing admin token");
  }
  std::string_view value(it->second.data(), it->second.size());
  if (value.substr(0, kBearer.size()) != kBearer ||
      !record::ConstantTimeEquals(value.substr(kBearer.size()), deps_.token)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "wrong admin token");
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest*,
                                     v1::NodeStatus* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  response->set_node_id(deps_.node_id);
  absl::StatusOr<storage::StoredEntry> profile =
      deps_.storage->records().Get(deps_.node_id, "profile");
  if (profile.ok() && profile->record.has_node_profile()) {
    response->set_name(profile->record.node_profile().name());
    response->set_region(profile->record.node_profile().region());
    response->set_role(profile->record.node_profile().role());
  }
  response->set_last_sequence(deps_.storage->records().LastSequence());
  absl::StatusOr<uint64_t> aggregated = deps_.storage->records().FeedCursor("aggregator");
  if (aggregated.ok()) response->set_aggregated_through(*aggregated);
  const std::vector<std::string> chain = deps_.replication->hub_chain->Announcement(deps_.node_id);
  for (size_t i = 1; i < chain.size(); ++i) response->add_hub_chain(chain[i]);
  if (chain.size() > 1) {
    absl::StatusOr<std::string> region =
        deps_.storage->state().GetMarker("enrolled_region/" + chain[1]);
    if (region.ok()) response->set_enrolled_region(*region);
  }
  response->set_started_us(deps_.started_us);
  response->set_version(LDGS_VERSION);
  // Counted one record at a time: a hub may hold millions.
  std::map<v1::Kind, uint64_t> counts;
  absl::Status scanned = deps_.storage->records().Scan(
      storage::ListFilter(), [&](const storage::StoredEntry& entry, std::string_view) {
        ++counts[entry.record.kind()];
        return true;
      });
  if (!scanned.ok()) return ToGrpcStatus(scanned);
  for (const auto& [kind, count] : counts) {
    v1::KindCount* kc = response->add_records();
    kc->set_kind(kind);
    kc->set_count(count);
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::CheckPutBody(const v1::Record& body) const {
  if (body.body_case() == v1::Record::BODY_NOT_SET) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "put needs a record body");
  }
  // Rollups are the hub's aggregator's to make and revocations come with `revoke`, never
  // from a put.
  if (body.has_rollup() || body.has_revocation()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "rollups are made by a hub's aggregator and revocations by 'ldgsctl "
                        "revoke'; put practice, metric, observation, story or profile");
  }
  if (absl::Status bounds = CheckObservationBounds(body); !bounds.ok()) return ToGrpcStatus(bounds);
  return grpc::Status::OK;
}

grpc::Status AdminService::PutRecord(grpc::ServerContext* context,
                                     const v1::PutRecordRequest* request, v1::Record* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  if (grpc::Status refused = CheckPutBody(request->body()); !refused.ok()) return refused;
  absl::StatusOr<v1::Record> written =
      deps_.writer->Put(request->id(), request->visibility(), request->body());
  if (!written.ok()) return ToGrpcStatus(written.status());
  *response = std::move(*written);
  return grpc::Status::OK;
}

grpc::Status AdminService::ImportRecords(grpc::ServerContext* context,
                                         const v1::ImportRecordsRequest* request,
                                         v1::ImportRecordsResponse* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  if (request->records().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "import needs at least one record");
  }
  std::vector<storage::PutItem> items;
  items.reserve(request->records_size());
  for (int i = 0; i < request->records_size(); ++i) {
    const v1::PutRecordRequest& put = request->records(i);
    if (grpc::Status refused = CheckPutBody(put.body()); !refused.ok()) {
      return grpc::Status(refused.error_code(),
                          "record " + std::to_string(i + 1) + ": " + refused.error_message());
    }
    items.push_back({put.id(), put.visibility(), put.body()});
  }
  absl::StatusOr<std::vector<v1::Record>> written =
      deps_.writer->PutMany(std::move(items), storage::StateChange(), storage::WriteClass::kRecords,
                            request->validate_only());
  if (!written.ok()) return ToGrpcStatus(written.status());
  response->set_written(request->validate_only() ? 0 : static_cast<uint32_t>(written->size()));
  return grpc::Status::OK;
}

grpc::Status AdminService::GetRecord(grpc::ServerContext* context,
                                     const v1::GetRecordRequest* request, v1::Record* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  const std::string& origin = request->origin().empty() ? deps_.node_id : request->origin();
  if (!record::IsNodeId(origin)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "origin is not a node ID");
  }
  if (!record::IsValidRecordId(request->id(), record::RecordLimits().max_id_bytes)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "record id is not valid");
  }
  // With wait_ms, block on the change notifier (not a poll) until the record arrives.
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(std::min(request->wait_ms(), kMaxWaitMs));
  absl::StatusOr<storage::StoredEntry> entry;
  while (true) {
    const uint64_t seen = deps_.notifier->last_seq();
    entry = deps_.storage->records().Get(origin, request->id());
    const bool arrived = entry.ok() && entry->record.version() >= request->min_version();
    const bool failed = !entry.ok() && !absl::IsNotFound(entry.status());
    if (arrived || failed || std::chrono::steady_clock::now() >= deadline ||
        context->IsCancelled()) {
      break;
    }
    deps_.notifier->WaitBeyond(seen, deadline);
  }
  if (entry.ok() && entry->record.version() < request->min_version()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "record " + request->id() +
                                                         " is older than version " +
                                                         std::to_string(request->min_version()));
  }
  if (absl::IsNotFound(entry.status())) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "no record " + request->id() +
                            (request->origin().empty() ? " on this node" : " from " + origin));
  }
  if (!entry.ok()) return ToGrpcStatus(entry.status());
  *response = std::move(entry->record);
  return grpc::Status::OK;
}

grpc::Status AdminService::ListRecords(grpc::ServerContext* context,
                                       const v1::ListRecordsRequest* request,
                                       v1::ListRecordsResponse* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  if (!v1::Kind_IsValid(request->kind())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unknown record kind");
  }
  if (!request->origin().empty() && !record::IsNodeId(request->origin())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "origin is not a node ID");
  }
  if (request->limit() > kMaxListLimit) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "limit must be at most " + std::to_string(kMaxListLimit));
  }
  storage::ListFilter filter;
  filter.kind = request->kind();
  filter.tag = request->tag();
  filter.origin = request->origin();
  filter.metric = request->metric();
  filter.period = request->period();
  filter.include_deleted = request->include_deleted();
  filter.limit = request->limit() == 0 ? kDefaultListLimit : request->limit();
  if (!request->page_token().empty()) {
    std::optional<std::string> after = request->page_token().size() <= kMaxPageTokenBytes
                                           ? HexDecode(request->page_token())
                                           : std::nullopt;
    if (!after || after->empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "page_token is not a ListRecords page token");
    }
    filter.after = std::move(*after);
  }
  bool truncated = false;
  std::string resume_after;
  absl::StatusOr<std::vector<storage::StoredEntry>> entries =
      deps_.storage->records().List(filter, &truncated, &resume_after);
  if (!entries.ok()) return ToGrpcStatus(entries.status());
  // Pages stay under the message cap: a page that would pass it ends early, with a token.
  size_t bytes = 0;
  for (size_t i = 0; i < entries->size(); ++i) {
    const size_t size = (*entries)[i].record.ByteSizeLong();
    if (i > 0 && bytes + size > kMaxListResponseBytes) {
      truncated = true;
      resume_after = (*entries)[i - 1].position;
      break;
    }
    bytes += size;
    *response->add_records() = std::move((*entries)[i].record);
  }
  response->set_truncated(truncated);
  if (truncated) response->set_next_page_token(HexEncode(resume_after));
  return grpc::Status::OK;
}

grpc::Status AdminService::ShareRecord(grpc::ServerContext* context,
                                       const v1::ShareRecordRequest* request,
                                       v1::Record* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  absl::StatusOr<v1::Record> written = deps_.writer->Share(request->id(), request->visibility());
  if (!written.ok()) return ToGrpcStatus(written.status());
  *response = std::move(*written);
  return grpc::Status::OK;
}

grpc::Status AdminService::DeleteRecord(grpc::ServerContext* context,
                                        const v1::DeleteRecordRequest* request,
                                        v1::Record* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  absl::StatusOr<v1::Record> written = deps_.writer->Delete(request->id());
  if (!written.ok()) return ToGrpcStatus(written.status());
  *response = std::move(*written);
  return grpc::Status::OK;
}

grpc::Status AdminService::ListPeers(grpc::ServerContext* context, const v1::ListPeersRequest*,
                                     v1::ListPeersResponse* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  absl::StatusOr<v1::ListPeersResponse> peers = Peers();
  if (!peers.ok()) return ToGrpcStatus(peers.status());
  *response = std::move(*peers);
  return grpc::Status::OK;
}

absl::StatusOr<v1::ListPeersResponse> AdminService::Peers() const {
  v1::ListPeersResponse out;
  v1::ListPeersResponse* response = &out;
  absl::StatusOr<std::vector<v1::Enrollment>> enrollments =
      deps_.storage->state().ListEnrollments();
  if (!enrollments.ok()) return enrollments.status();
  const std::map<std::string, replication::PeerRegistry::State> states = deps_.registry->Snapshot();
  const uint64_t head = deps_.storage->records().LastSequence();

  auto add = [&](const std::string& node_id, v1::Relation relation) {
    v1::PeerStatus* peer = response->add_peers();
    peer->set_node_id(node_id);
    peer->set_relation(relation);
    absl::StatusOr<storage::StoredEntry> profile = deps_.storage->records().Get(node_id, "profile");
    if (profile.ok() && profile->record.has_node_profile()) {
      peer->set_name(profile->record.node_profile().name());
    }
    auto it = states.find(node_id);
    if (it == states.end()) {
      peer->set_outbound_behind(head);
      return peer;
    }
    const replication::PeerRegistry::State& state = it->second;
    peer->set_connected(state.session_up || state.open_streams > 0);
    peer->set_last_sync_us(state.last_sync_us);
    peer->set_outbound_behind(state.sent_known && state.sent_up_to < head ? head - state.sent_up_to
                              : state.sent_known                          ? 0
                                                                          : head);
    peer->set_inbound_behind(
        state.peer_head > state.received_up_to ? state.peer_head - state.received_up_to : 0);
    peer->set_last_error(state.last_error);
    peer->set_throttled(state.throttled);
    peer->set_forks(state.forks);
    peer->set_refused(state.refused);
    peer->set_last_refusal(state.last_refusal);
    return peer;
  };
  for (const replication::DialPeer& dial : deps_.dial_peers()) {
    add(dial.node_id, dial.relation)->set_address(dial.address);
  }
  for (const v1::Enrollment& enrollment : *enrollments) {
    v1::PeerStatus* peer = add(enrollment.node_id(), enrollment.relation());
    peer->set_revoked(enrollment.revoked() ||
                      deps_.replication->revocations->Contains(enrollment.node_id()));
    peer->set_region(enrollment.region());
  }
  return out;
}

grpc::Status AdminService::Enroll(grpc::ServerContext* context, const v1::EnrollRequest* request,
                                  v1::Enrollment* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  if (!record::IsNodeId(request->node_id())) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "'" + std::string(TruncateUtf8(request->node_id(), 80)) + "' is not a node ID");
  }
  if (request->node_id() == deps_.node_id) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a node cannot enroll itself");
  }
  v1::Relation relation = request->relation();
  if (relation == v1::RELATION_UNSPECIFIED) relation = v1::RELATION_MEMBER;
  if (absl::Status valid = CheckEnrollmentTerms(relation, request->region(), request->note());
      !valid.ok()) {
    return ToGrpcStatus(valid);
  }
  if (absl::Status separate =
          CheckRegionIsOfOneKind(relation, request->region(), request->node_id());
      !separate.ok()) {
    return ToGrpcStatus(separate);
  }
  absl::StatusOr<v1::Enrollment> existing =
      deps_.storage->state().GetEnrollment(request->node_id());
  if (!existing.ok() && !absl::IsNotFound(existing.status())) {
    return ToGrpcStatus(existing.status());
  }
  // Re-enrolling never lifts a revocation by accident.
  if (existing.ok() && existing->revoked() && !request->reinstate()) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        "node " + request->node_id() + " was revoked; enroll it with --reinstate to take it back");
  }
  v1::Enrollment enrollment;
  enrollment.set_node_id(request->node_id());
  enrollment.set_relation(relation);
  enrollment.set_region(request->region());
  enrollment.set_enrolled_us(NowMicros());
  enrollment.set_note(request->note());
  std::vector<storage::PutItem> items;
  if (existing.ok() && existing->revoked()) {
    // Reinstated: the signed revocation notice is withdrawn too (a tombstone).
    absl::StatusOr<storage::StoredEntry> notice =
        deps_.storage->records().Get(deps_.node_id, "revocation:" + request->node_id());
    if (notice.ok() && !notice->record.deleted()) {
      absl::StatusOr<v1::Record> withdrawn = deps_.writer->Delete(notice->record.id());
      if (!withdrawn.ok()) return ToGrpcStatus(withdrawn.status());
    }
  }
  if (absl::Status s =
          deps_.storage->state().Commit(storage::StateChange().PutEnrollment(enrollment));
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (existing.ok() && existing->revoked()) {
    if (absl::Status s = deps_.replication->ReloadRevocations(); !s.ok()) return ToGrpcStatus(s);
  }
  *response = enrollment;
  return grpc::Status::OK;
}

grpc::Status AdminService::Revoke(grpc::ServerContext* context, const v1::RevokeRequest* request,
                                  v1::Enrollment* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  absl::StatusOr<v1::Enrollment> enrollment =
      deps_.storage->state().GetEnrollment(request->node_id());
  if (!enrollment.ok()) return ToGrpcStatus(enrollment.status());
  if (request->reason().size() > record::RecordLimits().max_short_text_bytes) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "reason is too long");
  }
  enrollment->set_revoked(true);
  enrollment->set_revoked_us(NowMicros());
  // The enrollment and the signed notice to the network, in one batch: every node whose hub
  // chain includes this hub refuses the node's new records from then on.
  storage::PutItem notice;
  notice.visibility = v1::VISIBILITY_NETWORK;
  notice.body.mutable_revocation()->set_node_id(request->node_id());
  notice.body.mutable_revocation()->set_revoked_us(enrollment->revoked_us());
  notice.body.mutable_revocation()->set_reason(request->reason());
  absl::StatusOr<std::vector<v1::Record>> written = deps_.writer->PutMany(
      {notice}, storage::StateChange().PutEnrollment(*enrollment), storage::WriteClass::kNodeState);
  if (!written.ok()) return ToGrpcStatus(written.status());
  if (absl::Status s = deps_.replication->ReloadRevocations(); !s.ok()) return ToGrpcStatus(s);
  // Refused from now on (enrollment is checked on every call); open streams close at once.
  deps_.registry->CancelStreams(request->node_id());
  *response = *enrollment;
  return grpc::Status::OK;
}

grpc::Status AdminService::Backup(grpc::ServerContext* context, const v1::BackupRequest* request,
                                  v1::BackupResponse* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  const uint64_t last_sequence = deps_.storage->records().LastSequence();
  if (absl::Status s = BackupDataDir(deps_.storage->db(), deps_.data_dir, request->dir());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  response->set_dir(request->dir());
  response->set_last_sequence(last_sequence);
  return grpc::Status::OK;
}

grpc::Status AdminService::CreateInvite(grpc::ServerContext* context,
                                        const v1::CreateInviteRequest* request,
                                        v1::InviteCode* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  v1::Relation relation = request->relation();
  if (relation == v1::RELATION_UNSPECIFIED) relation = v1::RELATION_MEMBER;
  if (absl::Status valid = CheckEnrollmentTerms(relation, request->region(), request->note());
      !valid.ok()) {
    return ToGrpcStatus(valid);
  }
  if (request->ttl_hours() > 24 * 365) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "ttl is over a year");
  }
  if (absl::Status separate = CheckRegionIsOfOneKind(relation, request->region(), "");
      !separate.ok()) {
    return ToGrpcStatus(separate);
  }
  const std::string secret = record::RandomBytes(replication::kInviteSecretBytes);
  v1::Invite invite;
  invite.set_secret_hash(record::HashSecret(secret));
  invite.set_relation(relation);
  invite.set_region(request->region());
  invite.set_note(request->note());
  invite.set_created_us(NowMicros());
  const int64_t ttl_hours = request->ttl_hours() == 0 ? 72 : request->ttl_hours();
  invite.set_expires_us(invite.created_us() + ttl_hours * 3600 * 1000000);
  if (absl::Status s = deps_.storage->state().Commit(storage::StateChange().PutInvite(invite));
      !s.ok())
    return ToGrpcStatus(s);
  response->set_code(replication::FormatInviteCode(deps_.node_id, secret));
  response->set_expires_us(invite.expires_us());
  return grpc::Status::OK;
}

grpc::Status AdminService::JoinHub(grpc::ServerContext* context, const v1::JoinHubRequest* request,
                                   v1::JoinHubResponse* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  absl::StatusOr<replication::DialPeer> hub = replication::RedeemInviteCode(
      *deps_.replication, request->code(), request->address(), request->sister());
  if (!hub.ok()) return ToGrpcStatus(hub.status());
  if (absl::Status s = deps_.add_dial_peer(*hub); !s.ok()) return ToGrpcStatus(s);
  response->set_hub_node_id(hub->node_id);
  response->set_relation(hub->relation);
  return grpc::Status::OK;
}

namespace {

// Answers a learnings call: the result, or its status in gRPC's terms.
template <typename Response>
grpc::Status Answer(absl::StatusOr<Response> result, Response* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

const char* VisibilityName(v1::Visibility visibility) {
  switch (visibility) {
    case v1::VISIBILITY_PUBLIC:
      return "public";
    case v1::VISIBILITY_NETWORK:
      return "network";
    case v1::VISIBILITY_HUB:
      return "hub";
    default:
      return "private";
  }
}

grpc::Status CheckAudience(v1::Audience audience) {
  if (!v1::Audience_IsValid(audience)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unknown audience");
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status AdminService::SearchCatalogue(grpc::ServerContext* context,
                                           const v1::SearchCatalogueRequest* request,
                                           v1::SearchCatalogueResponse* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  if (grpc::Status s = CheckAudience(request->audience()); !s.ok()) return s;
  return Answer(deps_.learnings->Search(*request), response);
}

grpc::Status AdminService::RankPractices(grpc::ServerContext* context,
                                         const v1::RankPracticesRequest* request,
                                         v1::RankPracticesResponse* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  if (grpc::Status s = CheckAudience(request->audience()); !s.ok()) return s;
  return Answer(deps_.learnings->Rank(*request), response);
}

grpc::Status AdminService::GetProvenance(grpc::ServerContext* context,
                                         const v1::ProvenanceRequest* request,
                                         v1::ProvenanceResponse* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  if (grpc::Status s = CheckAudience(request->audience()); !s.ok()) return s;
  if (!record::IsNodeId(request->practice().origin()) ||
      !record::IsValidRecordId(request->practice().id(), record::RecordLimits().max_id_bytes)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "give the practice as ORIGIN/ID");
  }
  return Answer(deps_.learnings->Provenance(*request), response);
}

grpc::Status AdminService::Compare(grpc::ServerContext* context, const v1::CompareRequest* request,
                                   v1::CompareResponse* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  return Answer(deps_.learnings->Compare(*request), response);
}

grpc::Status AdminService::GetReport(grpc::ServerContext* context, const v1::ReportRequest* request,
                                     v1::NetworkReport* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  if (grpc::Status s = CheckAudience(request->audience()); !s.ok()) return s;
  return Answer(deps_.learnings->Report(*request, NowMicros()), response);
}

grpc::Status AdminService::AdaptPractice(grpc::ServerContext* context,
                                         const v1::AdaptPracticeRequest* request,
                                         v1::Record* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  const v1::RecordRef& ref = request->practice();
  if (!record::IsNodeId(ref.origin()) ||
      !record::IsValidRecordId(ref.id(), record::RecordLimits().max_id_bytes)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "give the practice as ORIGIN/ID");
  }
  if (ref.origin() == deps_.node_id) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "that is this node's own practice; adapt another node's");
  }
  const std::string period = request->adopted_period().empty() ? FormatUtc(NowMicros(), "%Y-%m")
                                                               : request->adopted_period();
  if (!record::IsValidPeriod(period)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "adopted period must be YYYY-MM or YYYY-Www");
  }
  // It starts where the period before it ends.
  if (hub::PeriodEndMicros(hub::PreviousPeriod(period)) > NowMicros()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "adopted period " + period + " is in the future");
  }
  absl::StatusOr<storage::StoredEntry> original =
      deps_.storage->records().Get(ref.origin(), ref.id());
  if (!original.ok() || original->record.deleted()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "no practice " + ref.origin() + "/" + ref.id() + " is held here");
  }
  if (!original->record.has_practice()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, ref.id() + " is not a practice");
  }
  v1::Record body;
  v1::Practice* practice = body.mutable_practice();
  *practice = original->record.practice();
  practice->clear_outcome();
  practice->clear_outcome_note();
  *practice->mutable_adapted_from() = ref;
  practice->set_adopted_period(period);
  const v1::Visibility visibility = request->visibility() == v1::VISIBILITY_UNSPECIFIED
                                        ? v1::VISIBILITY_PRIVATE
                                        : request->visibility();
  // The copy carries the original's words: it may not reach anyone the original did not.
  if (visibility > original->record.visibility()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the practice is shared as " +
                            std::string(VisibilityName(original->record.visibility())) +
                            "; its adaptation may not be shared wider");
  }
  return Answer(deps_.writer->Put("", visibility, body), response);
}

grpc::Status AdminService::RecordOutcome(grpc::ServerContext* context,
                                         const v1::RecordOutcomeRequest* request,
                                         v1::Record* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  if (!v1::Outcome_IsValid(request->outcome()) || request->outcome() == v1::OUTCOME_UNSPECIFIED) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "outcome must be worked, mixed, did-not-work-here or too-early");
  }
  const v1::Outcome outcome = request->outcome();
  const std::string note = request->note();
  return Answer(deps_.writer->Update(request->id(),
                                     [&](v1::Record* record) {
                                       if (!record->has_practice()) {
                                         return absl::InvalidArgumentError(request->id() +
                                                                           " is not a practice");
                                       }
                                       record->mutable_practice()->set_outcome(outcome);
                                       record->mutable_practice()->set_outcome_note(note);
                                       return absl::OkStatus();
                                     }),
                response);
}

}  // namespace ldgs::daemon

#include "daemon/replication/replication_service.h"

#include <algorithm>
#include <cctype>

#include "common/base32.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "daemon/replication/pull_reactor.h"
#include "daemon/replication/push_reactor.h"
#include "daemon/replication/session_terms.h"
#include "proto/grpc_status.h"
#include "record/node_key.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon::replication {
namespace {

std::string MetadataValue(const grpc::CallbackServerContext& call, const char* key) {
  auto it = call.client_metadata().find(key);
  if (it == call.client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// A reactor that ends the call at once with `status`.
template <typename Reactor>
class RefusingReactor final : public Reactor {
 public:
  explicit RefusingReactor(const grpc::Status& status) { this->Finish(status); }
  void OnDone() override { delete this; }
};

// With mutual TLS, the caller's certificate must be for the node ID it claims: the CN is the
// node ID, and the lower-cased ID is a DNS name among its subject alternative names.
absl::Status CheckTlsIdentity(const grpc::CallbackServerContext& call, const std::string& node_id) {
  std::shared_ptr<const grpc::AuthContext> auth = call.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("no verified client certificate");
  }
  std::string lower = node_id;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& name : auth->FindPropertyValues("x509_subject_alternative_name")) {
    if (std::string(name.data(), name.size()) == lower) return absl::OkStatus();
  }
  for (const auto& name : auth->FindPropertyValues("x509_common_name")) {
    if (std::string(name.data(), name.size()) == node_id) return absl::OkStatus();
  }
  return absl::PermissionDeniedError("the TLS certificate is not for node " + node_id);
}

}  // namespace

ReplicationService::ReplicationService(ReplicationContext* context) : context_(context) {}

absl::StatusOr<v1::Enrollment> ReplicationService::ActiveEnrollment(
    std::string_view node_id) const {
  absl::StatusOr<v1::Enrollment> enrollment = context_->state->GetEnrollment(node_id);
  if (absl::IsNotFound(enrollment.status())) {
    return absl::PermissionDeniedError("node " + std::string(node_id) + " is not enrolled here");
  }
  if (!enrollment.ok()) return enrollment.status();
  if (enrollment->revoked() || context_->revocations->Contains(std::string(node_id))) {
    return absl::PermissionDeniedError("node " + std::string(node_id) + " was revoked");
  }
  return enrollment;
}

grpc::ServerUnaryReactor* ReplicationService::Hello(grpc::CallbackServerContext* call,
                                                    const v1::HelloRequest* request,
                                                    v1::HelloResponse* response) {
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  auto refuse = [&](const absl::Status& status) {
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  };
  if (request->protocol_version() != kProtocolVersion) {
    return refuse(absl::FailedPreconditionError(
        "protocol version " + std::to_string(request->protocol_version()) +
        " is not supported; this node speaks " + std::to_string(kProtocolVersion)));
  }
  if (!record::IsNodeId(request->node_id())) {
    return refuse(absl::InvalidArgumentError("hello: node_id is not a node ID"));
  }
  if (request->nonce().size() != kNonceBytes) {
    return refuse(absl::InvalidArgumentError("hello: nonce must be 32 bytes"));
  }
  if (context_->tls) {
    if (absl::Status identity = CheckTlsIdentity(*call, request->node_id()); !identity.ok()) {
      return refuse(identity);
    }
  }
  // Enrollment and checkpoint are point reads that RocksDB answers from memory; not worth
  // a hop to the storage executor.
  absl::StatusOr<v1::Enrollment> enrollment = ActiveEnrollment(request->node_id());
  if (!enrollment.ok()) return refuse(enrollment.status());
  absl::StatusOr<storage::FeedPosition> checkpoint =
      context_->state->Checkpoint(request->node_id(), storage::PeerDirection::kInbound);
  if (!checkpoint.ok()) return refuse(checkpoint.status());
  absl::StatusOr<std::string> feed_epoch = context_->state->FeedEpoch();
  if (!feed_epoch.ok()) return refuse(feed_epoch.status());
  if (request->feed_epoch().size() > kMaxFeedEpochBytes) {
    return refuse(absl::InvalidArgumentError("hello: feed_epoch is too long"));
  }

  SessionTerms terms{NegotiateLimits(context_->batch_limits, request->max_batch_records(),
                                     request->max_batch_bytes()),
                     request->feed_epoch()};
  const std::string challenge =
      context_->sessions->Open(request->node_id(), request->role(), std::move(terms));
  response->set_protocol_version(kProtocolVersion);
  response->set_node_id(context_->key->node_id());
  response->set_role(context_->is_hub ? v1::ROLE_HUB : v1::ROLE_CHAPTER);
  for (const std::string& id : context_->hub_chain->Announcement(context_->key->node_id())) {
    response->add_hub_chain(id);
  }
  response->set_your_region(enrollment->region());
  response->set_challenge(challenge);
  response->set_signature(
      context_->key->Sign(HelloTranscript(request->nonce(), request->node_id(), challenge)));
  // A checkpoint in another epoch of the dialer's feed is void: it resends from the start.
  response->set_push_checkpoint(ResumeFrom(*checkpoint, request->feed_epoch()));
  response->set_feed_epoch(*feed_epoch);
  absl::StatusOr<uint64_t> their_clock = context_->records->ClockOf(request->node_id());
  if (!their_clock.ok()) return refuse(their_clock.status());
  response->set_your_clock(*their_clock);
  response->set_max_batch_records(static_cast<uint32_t>(context_->batch_limits.max_records));
  response->set_max_batch_bytes(context_->batch_limits.max_bytes);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

absl::StatusOr<ReplicationService::Caller> ReplicationService::Authenticate(
    const grpc::CallbackServerContext& call) const {
  const std::string node_id = MetadataValue(call, kNodeIdHeader);
  std::optional<std::string> challenge = Base32Decode(MetadataValue(call, kSessionHeader));
  std::optional<std::string> proof = Base32Decode(MetadataValue(call, kProofHeader));
  if (node_id.empty() || !challenge || !proof) {
    return absl::UnauthenticatedError("missing session proof; call Hello first");
  }
  if (context_->tls) LDGS_RETURN_IF_ERROR(CheckTlsIdentity(call, node_id));
  LDGS_ASSIGN_OR_RETURN(SessionTable::Session session,
                        context_->sessions->Check(node_id, *challenge, *proof));
  LDGS_ASSIGN_OR_RETURN(v1::Enrollment enrollment, ActiveEnrollment(node_id));
  const size_t limit = context_->batch_limits.max_streams_per_peer;
  if (static_cast<size_t>(context_->registry->OpenStreams(node_id)) >= limit) {
    const std::string message = "node " + node_id + " has " + std::to_string(limit) +
                                " streams open already, the limit per peer";
    context_->registry->RecordError(node_id, message, absl::StatusCode::kResourceExhausted);
    return absl::ResourceExhaustedError(message);
  }
  // Rights from the enrollment only; the role the peer claimed in Hello grants nothing.
  return Caller{PeerView{node_id, enrollment.relation()}, std::move(session.terms)};
}

grpc::ServerBidiReactor<v1::Batch, v1::PushAck>* ReplicationService::Push(
    grpc::CallbackServerContext* call) {
  absl::StatusOr<Caller> caller = Authenticate(*call);
  if (!caller.ok()) {
    return new RefusingReactor<grpc::ServerBidiReactor<v1::Batch, v1::PushAck>>(
        ToGrpcStatus(caller.status()));
  }
  return new PushReactor(context_, std::move(caller->peer), std::move(caller->terms));
}

grpc::ServerWriteReactor<v1::Batch>* ReplicationService::Pull(grpc::CallbackServerContext* call,
                                                              const v1::PullRequest* request) {
  absl::StatusOr<Caller> caller = Authenticate(*call);
  absl::StatusOr<std::string> feed_epoch =
      caller.ok() ? context_->state->FeedEpoch() : caller.status();
  if (!feed_epoch.ok()) {
    return new RefusingReactor<grpc::ServerWriteReactor<v1::Batch>>(
        ToGrpcStatus(feed_epoch.status()));
  }
  caller->peer.wants_own = request->include_own();
  // `since` in another epoch of this feed (one restored since) is void.
  const uint64_t since = ResumeFrom({request->since_epoch(), request->since()}, *feed_epoch);
  return new PullReactor(context_, std::move(caller->peer), caller->terms.limits, since);
}

absl::StatusOr<v1::Relation> ReplicationService::RedeemInvite(const v1::JoinRequest& request) {
  if (request.protocol_version() != kProtocolVersion) {
    return absl::FailedPreconditionError("unsupported protocol version");
  }
  if (!record::IsNodeId(request.node_id())) {
    return absl::InvalidArgumentError("join: node_id is not a node ID");
  }
  if (request.invite_secret().size() != kInviteSecretBytes) {
    return absl::InvalidArgumentError("join: malformed invite");
  }
  if (!record::VerifySignature(
          request.node_id(),
          JoinTranscript(request.invite_secret(), request.node_id(), context_->key->node_id()),
          request.signature())) {
    return absl::PermissionDeniedError("join: signature does not verify against " +
                                       request.node_id());
  }
  std::lock_guard<std::mutex> lock(join_mu_);
  absl::StatusOr<v1::Invite> invite =
      context_->state->GetInvite(record::HashSecret(request.invite_secret()));
  if (absl::IsNotFound(invite.status())) return absl::PermissionDeniedError("unknown invite");
  if (!invite.ok()) return invite.status();
  if (invite->used()) return absl::PermissionDeniedError("this invite was used already");
  if (invite->expires_us() < NowMicros()) return absl::PermissionDeniedError("this invite expired");
  absl::StatusOr<v1::Enrollment> existing = context_->state->GetEnrollment(request.node_id());
  if (existing.ok() && existing->revoked()) {
    return absl::PermissionDeniedError("node " + request.node_id() + " was revoked");
  }
  v1::Enrollment enrollment;
  enrollment.set_node_id(request.node_id());
  enrollment.set_relation(invite->relation());
  enrollment.set_region(invite->region());
  enrollment.set_enrolled_us(NowMicros());
  enrollment.set_note(invite->note());
  invite->set_used(true);
  invite->set_used_by(request.node_id());
  // The enrollment and the invite's use land together: a crash cannot leave it reusable.
  LDGS_RETURN_IF_ERROR(
      context_->state->Commit(storage::StateChange().PutEnrollment(enrollment).PutInvite(*invite)));
  return invite->relation();
}

grpc::ServerUnaryReactor* ReplicationService::Join(grpc::CallbackServerContext* call,
                                                   const v1::JoinRequest* request,
                                                   v1::JoinResponse* response) {
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  absl::Status identity =
      context_->tls ? CheckTlsIdentity(*call, request->node_id()) : absl::OkStatus();
  absl::StatusOr<v1::Relation> relation =
      identity.ok() ? RedeemInvite(*request) : absl::StatusOr<v1::Relation>(identity);
  if (!relation.ok()) {
    reactor->Finish(ToGrpcStatus(relation.status()));
    return reactor;
  }
  response->set_node_id(context_->key->node_id());
  response->set_relation(*relation);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace ldgs::daemon::replication

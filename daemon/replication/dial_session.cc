#include "daemon/replication/dial_session.h"

#include <utility>

#include "common/base32.h"
#include "common/status_macros.h"
#include "daemon/replication/channel.h"
#include "daemon/replication/restore_recovery.h"
#include "daemon/replication/session_terms.h"
#include "proto/grpc_status.h"
#include "record/node_key.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon::replication {
namespace {
constexpr auto kHelloDeadline = std::chrono::seconds(10);
}  // namespace

DialSession::DialSession(ReplicationContext* context, DialPeer peer, ReconnectPolicy policy,
                         Ended ended)
    : context_(context), peer_(std::move(peer)), policy_(policy), ended_(std::move(ended)) {}

void DialSession::Start() {
  Hold();  // until the Hello is answered and the setup after it is over
  channel_ = MakeChannel(peer_.address, peer_.node_id, *context_);
  stub_ = v1::Replication::NewStub(channel_);
  // Hello: the peer proves it holds the key of the node ID we were configured with.
  hello_.set_protocol_version(kProtocolVersion);
  hello_.set_node_id(context_->key->node_id());
  hello_.set_role(context_->is_hub ? v1::ROLE_HUB : v1::ROLE_CHAPTER);
  hello_.set_nonce(record::RandomBytes(kNonceBytes));
  hello_.set_max_batch_records(static_cast<uint32_t>(context_->batch_limits.max_records));
  hello_.set_max_batch_bytes(context_->batch_limits.max_bytes);
  absl::StatusOr<std::string> own_epoch = context_->state->FeedEpoch();
  if (!own_epoch.ok()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      setup_ = own_epoch.status();
    }
    return Release();
  }
  hello_.set_feed_epoch(*own_epoch);
  hello_call_.set_deadline(std::chrono::system_clock::now() + kHelloDeadline);
  stub_->async()->Hello(&hello_call_, &hello_, &welcome_, [this](grpc::Status status) {
    context_->executor([this, status = std::move(status)] { Welcomed(status); });
  });
}

void DialSession::Cancel() {
  bool streaming = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    streaming = streaming_;
  }
  // Outside the lock: a cancelled call's reactions may run on this thread.
  hello_call_.TryCancel();
  if (streaming) {
    pull_call_.TryCancel();
    push_call_.TryCancel();
  }
}

void DialSession::Welcomed(const grpc::Status& status) {
  absl::Status started = status.ok() ? StartStreams() : FromGrpcStatus(status, "hello");
  if (!started.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    setup_ = std::move(started);
  }
  Release();
}

absl::Status DialSession::StartStreams() {
  if (welcome_.node_id() != peer_.node_id) {
    return absl::PermissionDeniedError("the node at " + peer_.address + " is " +
                                       welcome_.node_id() + ", not the configured " +
                                       peer_.node_id);
  }
  if (!record::VerifySignature(
          peer_.node_id, HelloTranscript(hello_.nonce(), hello_.node_id(), welcome_.challenge()),
          welcome_.signature())) {
    return absl::PermissionDeniedError("hello signature of " + peer_.node_id + " does not verify");
  }
  if (welcome_.feed_epoch().size() > kMaxFeedEpochBytes) {
    return absl::InvalidArgumentError("peer " + peer_.node_id + " sent a malformed feed epoch");
  }
  // A peer whose feed has a new epoch was restored from a backup: we hand it back its own
  // records with all of ours. (Checked before a new hub chain resets our checkpoint.)
  LDGS_ASSIGN_OR_RETURN(
      storage::FeedPosition held,
      context_->state->Checkpoint(peer_.node_id, storage::PeerDirection::kInbound));
  LDGS_ASSIGN_OR_RETURN(
      const bool hand_back,
      BeginHandBack(context_->state, peer_.node_id, FeedWasReplaced(held, welcome_.feed_epoch())));
  // The peer's rights come from this node's config (it is our hub, or a sister), never
  // from the role it answered with.
  const PeerView peer{peer_.node_id, peer_.relation};
  if (peer_.relation == v1::RELATION_HUB) {
    // Our hub tells us who is above it: rollups and revocations count only from them.
    LDGS_RETURN_IF_ERROR(LearnChain(welcome_.hub_chain()).status());
    if (welcome_.your_region().size() > 64) {
      return absl::InvalidArgumentError("hub " + peer_.node_id + " sent a malformed region");
    }
    LDGS_RETURN_IF_ERROR(context_->state->Commit(storage::StateChange().SetMarker(
        "enrolled_region/" + peer_.node_id, welcome_.your_region())));
  }
  // Both directions of the session send batches within the same, smaller limits.
  const BatchLimits limits = NegotiateLimits(context_->batch_limits, welcome_.max_batch_records(),
                                             welcome_.max_batch_bytes());
  // Recovery after a restore from an old backup (restore_recovery.h): the clock moves past
  // what the peer holds of ours, our whole feed is offered again and the peer hands our
  // records back.
  LDGS_ASSIGN_OR_RETURN(const bool recover,
                        BeginRecovery(context_->records, *context_->state, context_->key->node_id(),
                                      peer_.node_id, welcome_.your_clock()));
  const uint64_t push_from = recover || hand_back ? 0 : welcome_.push_checkpoint();
  // Our checkpoint in its feed counts only in the epoch it was reached in.
  LDGS_ASSIGN_OR_RETURN(
      storage::FeedPosition checkpoint,
      context_->state->Checkpoint(peer_.node_id, storage::PeerDirection::kInbound));
  v1::PullRequest pull_request;
  pull_request.set_since(recover ? 0 : ResumeFrom(checkpoint, welcome_.feed_epoch()));
  pull_request.set_since_epoch(welcome_.feed_epoch());
  pull_request.set_include_own(recover);

  const std::string proof =
      Base32Encode(context_->key->Sign(SessionProofMessage(welcome_.challenge(), peer_.node_id)));
  for (grpc::ClientContext* call : {&pull_call_, &push_call_}) {
    call->AddMetadata(kNodeIdHeader, context_->key->node_id());
    call->AddMetadata(kSessionHeader, Base32Encode(welcome_.challenge()));
    call->AddMetadata(kProofHeader, proof);
    call->set_deadline(std::chrono::system_clock::now() + policy_.stream_lifetime);
  }
  PeerView push_peer = peer;
  push_peer.wants_own = hand_back;
  pull_ = std::make_unique<PullReceiver>(
      context_, peer, limits, welcome_.feed_epoch(),
      [this](const v1::Batch& batch) { return Announced(batch); },
      [this](const absl::Status& ended, const grpc::Status& status) { PullDone(ended, status); });
  push_ = std::make_unique<PushSender>(context_, push_peer, limits, push_from, recover, hand_back,
                                       [this](const grpc::Status& status) { PushDone(status); });
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) return absl::CancelledError("stopping");
    streaming_ = true;
    holds_ += 2;  // one per stream, released when it is done
  }
  context_->registry->SetSessionUp(peer_.node_id, true);
  context_->registry->RecordSent(peer_.node_id, push_from);
  pull_->Start(stub_.get(), &pull_call_, std::move(pull_request));
  push_->Start(stub_.get(), &push_call_);
  spdlog::info("peer {} at {}: session up", peer_.node_id, peer_.address);
  return absl::OkStatus();
}

absl::StatusOr<bool> DialSession::LearnChain(
    const google::protobuf::RepeatedPtrField<std::string>& announced) {
  const std::vector<std::string> chain(announced.begin(), announced.end());
  LDGS_ASSIGN_OR_RETURN(bool changed, context_->hub_chain->Learn(peer_.node_id, chain));
  if (!changed) return false;
  LDGS_RETURN_IF_ERROR(context_->ReloadRevocations());
  // Rollups and revocations of a hub new to the chain were skipped before; pull the hub's
  // feed again from the start (applying is idempotent), and tell this node's own members.
  LDGS_RETURN_IF_ERROR(context_->state->Commit(storage::StateChange().SetCheckpoint(
      peer_.node_id, storage::PeerDirection::kInbound, storage::FeedPosition())));
  context_->notifier->RunCallbacks();
  spdlog::info("peer {}: hub chain now {} hub(s)", peer_.node_id, chain.size());
  return true;
}

absl::Status DialSession::Announced(const v1::Batch& batch) {
  if (peer_.relation != v1::RELATION_HUB || batch.hub_chain_size() == 0) return absl::OkStatus();
  LDGS_ASSIGN_OR_RETURN(const bool changed, LearnChain(batch.hub_chain()));
  if (!changed) return absl::OkStatus();
  progress_ = true;
  return absl::UnavailableError("hub " + peer_.node_id + " has a new hub chain; pulling again");
}

void DialSession::PullDone(const absl::Status& ended, const grpc::Status& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pull_ended_ = ended;
    pull_status_ = status;
  }
  push_call_.TryCancel();  // the session ends as a whole
  Release();
}

void DialSession::PushDone(const grpc::Status& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    push_status_ = status;
  }
  pull_call_.TryCancel();
  Release();
}

void DialSession::Hold() {
  std::lock_guard<std::mutex> lock(mu_);
  ++holds_;
}

void DialSession::Release() {
  bool streamed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (--holds_ > 0) return;
    streamed = streaming_;
  }
  if (streamed) context_->registry->SetSessionUp(peer_.node_id, false);
  const bool progress =
      progress_ || (pull_ && pull_->made_progress()) || (push_ && push_->made_progress());
  // Copied: the owner may delete this session as soon as it is told.
  const Ended ended = ended_;
  ended(WhyEnded(), progress);
}

absl::Status DialSession::WhyEnded() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!setup_.ok()) return setup_;
  if (!pull_ended_.ok()) return pull_ended_;
  if (!pull_status_.ok() && pull_status_.error_code() != grpc::StatusCode::CANCELLED) {
    return FromGrpcStatus(pull_status_, "pull");
  }
  if (!push_status_.ok() && push_status_.error_code() != grpc::StatusCode::CANCELLED) {
    return FromGrpcStatus(push_status_, "push");
  }
  return absl::UnavailableError("session ended");
}

}  // namespace ldgs::daemon::replication

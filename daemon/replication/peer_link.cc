#include "daemon/replication/peer_link.h"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <deque>

#include "boost/asio/post.hpp"
#include "common/base32.h"
#include "common/status_macros.h"
#include "common/text.h"
#include "daemon/replication/channel.h"
#include "daemon/replication/inbound_batch.h"
#include "daemon/replication/inbound_outcome.h"
#include "daemon/replication/outbound_batch.h"
#include "daemon/replication/restore_recovery.h"
#include "daemon/replication/session_terms.h"
#include "grpcpp/grpcpp.h"
#include "ldgs/v1/replication.grpc.pb.h"
#include "proto/grpc_status.h"
#include "record/node_key.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon::replication {
namespace {

constexpr auto kHelloDeadline = std::chrono::seconds(10);
constexpr auto kIdleWake = std::chrono::seconds(1);  // re-check for shutdown while idle
constexpr size_t kPushWindow = 4;
constexpr size_t kMaxThrottledBytes = 200;  // of a peer's reason for holding us back  // batches in
                                            // flight before the first ack (push_reactor.h)

}  // namespace

PeerLink::PeerLink(boost::asio::io_context* io, ReplicationContext* context, DialPeer peer,
                   ReconnectPolicy policy)
    : io_(io),
      context_(context),
      peer_(std::move(peer)),
      policy_(policy),
      timer_(*io),
      backoff_(policy.initial) {}

PeerLink::~PeerLink() { Stop(); }

void PeerLink::Start() {
  boost::asio::post(*io_, [this] { ScheduleDial(std::chrono::milliseconds(0)); });
}

void PeerLink::Stop() {
  stopping_ = true;
  CancelCalls();
  context_->notifier->WakeAll();
  if (session_thread_.joinable()) session_thread_.join();
}

void PeerLink::ScheduleDial(std::chrono::milliseconds delay) {
  if (stopping_) return;
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopping_) return;
    Dial();
  });
}

void PeerLink::Dial() {
  if (session_thread_.joinable()) session_thread_.join();  // the last one has ended
  session_thread_ = std::thread([this] {
    bool made_progress = false;
    absl::Status ended = RunSession(&made_progress);
    if (stopping_) return;
    context_->registry->RecordError(peer_.node_id, ended.ok() ? "" : std::string(ended.message()));
    if (!ended.ok()) {
      spdlog::warn("peer {} at {}: {}", peer_.node_id, peer_.address,
                   EscapeForTerminal(ended.ToString()));
    }
    boost::asio::post(*io_, [this, made_progress] {
      // Exponential backoff with jitter, back to the start after a session that worked.
      backoff_ = made_progress ? policy_.initial : std::min(backoff_ * 2, policy_.max);
      std::uniform_real_distribution<double> jitter(0.5, 1.5);
      ScheduleDial(std::chrono::milliseconds(
          static_cast<int64_t>(static_cast<double>(backoff_.count()) * jitter(random_))));
    });
  });
}

void PeerLink::CancelCalls() {
  std::lock_guard<std::mutex> lock(calls_mu_);
  for (grpc::ClientContext* call : calls_) call->TryCancel();
}

absl::Status PeerLink::RunSession(bool* made_progress) {
  auto stub = v1::Replication::NewStub(MakeChannel(peer_.address, peer_.node_id, *context_));

  // Hello: the peer proves it holds the key of the node ID we were configured with.
  v1::HelloRequest hello;
  hello.set_protocol_version(kProtocolVersion);
  hello.set_node_id(context_->key->node_id());
  hello.set_role(context_->is_hub ? v1::ROLE_HUB : v1::ROLE_CHAPTER);
  hello.set_nonce(record::RandomBytes(kNonceBytes));
  hello.set_max_batch_records(static_cast<uint32_t>(context_->batch_limits.max_records));
  hello.set_max_batch_bytes(context_->batch_limits.max_bytes);
  absl::StatusOr<std::string> own_epoch = context_->state->FeedEpoch();
  if (!own_epoch.ok()) return own_epoch.status();
  hello.set_feed_epoch(*own_epoch);
  v1::HelloResponse welcome;
  grpc::ClientContext hello_call;
  hello_call.set_deadline(std::chrono::system_clock::now() + kHelloDeadline);
  grpc::Status hello_status = stub->Hello(&hello_call, hello, &welcome);
  if (!hello_status.ok()) return FromGrpcStatus(hello_status, "hello");
  if (welcome.node_id() != peer_.node_id) {
    return absl::PermissionDeniedError("the node at " + peer_.address + " is " + welcome.node_id() +
                                       ", not the configured " + peer_.node_id);
  }
  if (!record::VerifySignature(peer_.node_id,
                               HelloTranscript(hello.nonce(), hello.node_id(), welcome.challenge()),
                               welcome.signature())) {
    return absl::PermissionDeniedError("hello signature of " + peer_.node_id + " does not verify");
  }
  if (welcome.feed_epoch().size() > kMaxFeedEpochBytes) {
    return absl::InvalidArgumentError("peer " + peer_.node_id + " sent a malformed feed epoch");
  }
  // A peer whose feed has a new epoch was restored from a backup: we hand it back its own
  // records with all of ours. (Checked before a new hub chain resets our checkpoint.)
  absl::StatusOr<storage::FeedPosition> held =
      context_->state->Checkpoint(peer_.node_id, storage::PeerDirection::kInbound);
  if (!held.ok()) return held.status();
  absl::StatusOr<bool> handing_back =
      BeginHandBack(context_->state, peer_.node_id, FeedWasReplaced(*held, welcome.feed_epoch()));
  if (!handing_back.ok()) return handing_back.status();
  const bool hand_back = *handing_back;
  // The peer's rights come from this node's config (it is our hub, or a sister), never
  // from the role it answered with.
  const PeerView peer{peer_.node_id, peer_.relation};
  if (peer_.relation == v1::RELATION_HUB) {
    // Our hub tells us who is above it: rollups and revocations count only from them.
    LDGS_RETURN_IF_ERROR(LearnChain(welcome.hub_chain()).status());
    if (welcome.your_region().size() > 64) {
      return absl::InvalidArgumentError("hub " + peer_.node_id + " sent a malformed region");
    }
    LDGS_RETURN_IF_ERROR(context_->state->Commit(storage::StateChange().SetMarker(
        "enrolled_region/" + peer_.node_id, welcome.your_region())));
  }
  // Both directions of the session send batches within the same, smaller limits.
  const BatchLimits limits = NegotiateLimits(context_->batch_limits, welcome.max_batch_records(),
                                             welcome.max_batch_bytes());
  const std::string proof =
      Base32Encode(context_->key->Sign(SessionProofMessage(welcome.challenge(), peer_.node_id)));
  auto prepare = [&](grpc::ClientContext* call) {
    call->AddMetadata(kNodeIdHeader, context_->key->node_id());
    call->AddMetadata(kSessionHeader, Base32Encode(welcome.challenge()));
    call->AddMetadata(kProofHeader, proof);
    call->set_deadline(std::chrono::system_clock::now() + policy_.stream_lifetime);
  };

  // Recovery after a restore from an old backup (restore_recovery.h): the clock moves past
  // what the peer holds of ours, our whole feed is offered again and the peer hands our
  // records back.
  absl::StatusOr<bool> recovering =
      BeginRecovery(context_->records, *context_->state, context_->key->node_id(), peer_.node_id,
                    welcome.your_clock());
  if (!recovering.ok()) return recovering.status();
  const bool recover = *recovering;
  const uint64_t push_from = recover || hand_back ? 0 : welcome.push_checkpoint();
  // Our checkpoint in its feed counts only in the epoch it was reached in.
  absl::StatusOr<storage::FeedPosition> checkpoint =
      context_->state->Checkpoint(peer_.node_id, storage::PeerDirection::kInbound);
  if (!checkpoint.ok()) return checkpoint.status();
  const uint64_t pull_from = recover ? 0 : ResumeFrom(*checkpoint, welcome.feed_epoch());

  session_over_ = false;
  grpc::ClientContext pull_call;
  grpc::ClientContext push_call;
  prepare(&pull_call);
  prepare(&push_call);
  {
    std::lock_guard<std::mutex> lock(calls_mu_);
    calls_ = {&pull_call, &push_call};
  }
  if (stopping_) CancelCalls();

  v1::PullRequest pull_request;
  pull_request.set_since(pull_from);
  pull_request.set_since_epoch(welcome.feed_epoch());
  pull_request.set_include_own(recover);
  std::unique_ptr<grpc::ClientReader<v1::Batch>> pull = stub->Pull(&pull_call, pull_request);
  std::unique_ptr<grpc::ClientReaderWriter<v1::Batch, v1::PushAck>> push = stub->Push(&push_call);
  context_->registry->SetSessionUp(peer_.node_id, true);
  context_->registry->RecordSent(peer_.node_id, push_from);
  spdlog::info("peer {} at {}: session up", peer_.node_id, peer_.address);

  bool push_progress = false;
  PeerView push_peer = peer;
  push_peer.wants_own = hand_back;
  std::thread push_thread([&] {
    PushLoop(push.get(), push_from, push_peer, limits, &pull_call, &push_call, recover, hand_back,
             &push_progress);
  });

  // Pull on this thread: apply each batch with its checkpoint, until the stream ends.
  absl::Status ended = absl::OkStatus();
  v1::Batch batch;
  while (pull->Read(&batch)) {
    if (peer_.relation == v1::RELATION_HUB && batch.hub_chain_size() > 0) {
      absl::StatusOr<bool> changed = LearnChain(batch.hub_chain());
      if (!changed.ok() || *changed) {
        *made_progress = true;
        ended = changed.ok() ? absl::UnavailableError("hub " + peer_.node_id +
                                                      " has a new hub chain; pulling again")
                             : changed.status();
        break;
      }
    }
    absl::StatusOr<InboundResult> applied =
        ApplyInboundBatch(context_->records, batch, context_->Self(), peer, *context_->revocations,
                          context_->record_limits, limits, welcome.feed_epoch(),
                          Parallelism{context_->executor, context_->verify_helpers});
    if (!applied.ok()) {
      ended = applied.status();
      break;
    }
    if (absl::Status cut = RecordInbound(*context_, peer, batch, *applied); !cut.ok()) {
      ended = cut;
      break;
    }
    *made_progress = true;
  }
  session_over_ = true;  // either direction ending ends the session
  CancelCalls();
  context_->notifier->WakeAll();
  push_thread.join();
  grpc::Status pull_status = pull->Finish();
  {
    std::lock_guard<std::mutex> lock(calls_mu_);
    calls_.clear();
  }
  context_->registry->SetSessionUp(peer_.node_id, false);
  *made_progress = *made_progress || push_progress;
  if (!ended.ok()) return ended;
  if (!pull_status.ok() && pull_status.error_code() != grpc::StatusCode::CANCELLED) {
    return FromGrpcStatus(pull_status, "pull");
  }
  return absl::UnavailableError("session ended");
}

absl::StatusOr<bool> PeerLink::LearnChain(
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

void PeerLink::PushLoop(grpc::ClientReaderWriter<v1::Batch, v1::PushAck>* stream, uint64_t cursor,
                        const PeerView& peer, const BatchLimits& limits,
                        grpc::ClientContext* pull_call, grpc::ClientContext* push_call,
                        bool recovering, bool handing_back, bool* made_progress) {
  // Pipelined: up to kPushWindow batches are sent before the first is acknowledged; acks
  // are cumulative (applied and durable through `up_to`) and read on their own thread.
  std::mutex mu;
  std::condition_variable changed;
  uint64_t acked = cursor;  // guarded by mu
  size_t in_flight = 0;     // batches sent, not yet covered by an ack; guarded by mu
  std::deque<uint64_t> sent_up_to;
  bool acks_over = false;  // guarded by mu
  std::thread ack_reader([&] {
    v1::PushAck ack;
    std::string throttled;
    while (stream->Read(&ack)) {
      // The peer holds our pushes back, or stopped: what it says is shown, bounded.
      if (ack.throttled().substr(0, kMaxThrottledBytes) != throttled) {
        throttled = ack.throttled().substr(0, kMaxThrottledBytes);
        context_->registry->SetThrottled(peer_.node_id, throttled);
        if (!throttled.empty()) {
          spdlog::warn("push to {}: held back: {}", peer_.node_id, EscapeForTerminal(throttled));
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      if (ack.up_to() <= acked) continue;
      acked = ack.up_to();
      while (!sent_up_to.empty() && sent_up_to.front() <= acked) {
        sent_up_to.pop_front();
        --in_flight;
      }
      context_->registry->RecordSent(peer_.node_id, acked);
      *made_progress = true;
      changed.notify_all();
    }
    if (!throttled.empty()) context_->registry->SetThrottled(peer_.node_id, "");
    std::lock_guard<std::mutex> lock(mu);
    acks_over = true;
    changed.notify_all();
  });

  bool marked = !recovering;
  bool handed_back = !handing_back;
  uint64_t sent = cursor;
  while (!stopping_ && !session_over_) {
    {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait_for(lock, kIdleWake, [&] { return acks_over || in_flight < kPushWindow; });
      if (acks_over) break;
      if (in_flight >= kPushWindow) continue;  // re-check for shutdown
    }
    absl::StatusOr<v1::Batch> batch =
        BuildOutboundBatch(*context_->records, sent, context_->Self(), peer, limits,
                           context_->revocations->Contains(peer_.node_id));
    if (!batch.ok()) {
      spdlog::error("push to {}: {}", peer_.node_id, batch.status().ToString());
      break;
    }
    if (batch->up_to() == sent) {
      bool all_acked = false;
      {
        std::unique_lock<std::mutex> lock(mu);
        all_acked = acked >= sent;
        // Wait for the acks of what is in flight before waiting for new records.
        if (!all_acked) {
          changed.wait_for(lock, kIdleWake, [&] { return acks_over || acked >= sent; });
          continue;
        }
      }
      // The peer has all of our feed again: later sessions may resume from its checkpoint.
      if (!marked) marked = FinishRecovery(context_->state, peer_.node_id).ok();
      if (!handed_back) handed_back = FinishHandBack(context_->state, peer_.node_id).ok();
      context_->notifier->WaitBeyond(sent, std::chrono::steady_clock::now() + kIdleWake);
      continue;
    }
    if (!stream->Write(*batch)) break;
    std::lock_guard<std::mutex> lock(mu);
    sent = batch->up_to();
    sent_up_to.push_back(sent);
    ++in_flight;
  }
  pull_call->TryCancel();  // the session ends as a whole
  {
    // Ends the ack reader's Read; when the peer ended the stream, its status is kept.
    std::lock_guard<std::mutex> lock(mu);
    if (!acks_over) push_call->TryCancel();
  }
  ack_reader.join();
  grpc::Status status = stream->Finish();
  if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
    spdlog::warn("push to {}: {}", peer_.node_id, status.error_message());
    context_->registry->RecordError(peer_.node_id, "push: " + status.error_message());
  }
}

}  // namespace ldgs::daemon::replication

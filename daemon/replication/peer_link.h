#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>  // before Asio: Boost 1.74 with C++20 needs it (TOOLCHAIN.md)
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "daemon/replication/dial_peer.h"
#include "daemon/replication/replication_context.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/sync_stream.h"
#include "ldgs/v1/replication.pb.h"

namespace ldgs::daemon::replication {

// Keeps one replication session with a dialed peer alive: Hello, then Push (this node's
// feed up) and Pull (the peer's feed down, tailed) over one channel. A session runs on its
// own thread with gRPC's blocking client API (a node dials a handful of peers); when it
// ends, the node's Asio loop schedules the next dial with jittered exponential backoff.
class PeerLink {
 public:
  // `io` and `context` must outlive the link.
  PeerLink(boost::asio::io_context* io, ReplicationContext* context, DialPeer peer,
           ReconnectPolicy policy);
  ~PeerLink();
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;

  void Start();
  // Ends the session now and stops redialling. Blocks until the session thread is gone.
  void Stop();

  const DialPeer& peer() const { return peer_; }

 private:
  void ScheduleDial(std::chrono::milliseconds delay);
  void Dial();
  // One session, start to end; returns why it ended and whether it made progress.
  absl::Status RunSession(bool* made_progress);
  // Streams this node's feed from `cursor` in batches within the session's `limits`, several
  // in flight; when
  // `recovering` (we were restored) or `handing_back` (the peer was), finishes that with
  // this peer the first time the peer has everything.
  void PushLoop(grpc::ClientReaderWriter<v1::Batch, v1::PushAck>* stream, uint64_t cursor,
                const PeerView& peer, const BatchLimits& limits, grpc::ClientContext* pull_call,
                grpc::ClientContext* push_call, bool recovering, bool handing_back,
                bool* made_progress);
  // Cancels the running session's calls (thread-safe).
  void CancelCalls();
  // Records the hub chain this node's hub announced; returns whether it changed.
  absl::StatusOr<bool> LearnChain(const google::protobuf::RepeatedPtrField<std::string>& announced);

  boost::asio::io_context* io_;
  ReplicationContext* context_;
  const DialPeer peer_;
  const ReconnectPolicy policy_;
  boost::asio::steady_timer timer_;
  std::mt19937_64 random_{std::random_device{}()};
  std::chrono::milliseconds backoff_;
  std::thread session_thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> session_over_{false};

  std::mutex calls_mu_;
  std::vector<grpc::ClientContext*> calls_ ABSL_GUARDED_BY(calls_mu_);  // of the running session
};

}  // namespace ldgs::daemon::replication

#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <utility>  // before Asio: Boost 1.74 with C++20 needs it (TOOLCHAIN.md)

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "daemon/replication/dial_peer.h"
#include "daemon/replication/dial_session.h"
#include "daemon/replication/replication_context.h"

namespace ldgs::daemon::replication {

// Keeps one replication session with a dialed peer alive (dial_session.h): when a session
// ends, the node's Asio loop schedules the next dial with jittered exponential backoff. No
// thread of its own.
class PeerLink {
 public:
  // `io` and `context` must outlive the link.
  PeerLink(boost::asio::io_context* io, ReplicationContext* context, DialPeer peer,
           ReconnectPolicy policy);
  ~PeerLink();
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;

  void Start();
  // Ends the session now and stops redialling. Blocks until the session is over.
  void Stop();

  const DialPeer& peer() const { return peer_; }

 private:
  void ScheduleDial(std::chrono::milliseconds delay);
  // On the Asio loop: starts the next session.
  void Dial();
  // From the session, on whatever thread ended it.
  void Ended(const absl::Status& why, bool made_progress);

  boost::asio::io_context* io_;
  ReplicationContext* context_;
  const DialPeer peer_;
  const ReconnectPolicy policy_;
  boost::asio::steady_timer timer_;
  std::mt19937_64 random_{std::random_device{}()};
  std::chrono::milliseconds backoff_;  // on the Asio loop

  std::mutex mu_;
  std::condition_variable session_over_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Sessions started whose `Ended` has not returned: a new one may start while the last
  // one is still being told it ended.
  int live_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<DialSession> session_ ABSL_GUARDED_BY(mu_);  // the last one started
};

}  // namespace ldgs::daemon::replication

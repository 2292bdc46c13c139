#include "daemon/replication/peer_link.h"

#include <algorithm>

#include "boost/asio/post.hpp"
#include "common/text.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon::replication {

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
  DialSession* last = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    last = session_.get();
  }
  // Not deleted meanwhile: only Dial replaces a session, and not once stopping. Cancelling
  // one that has ended does nothing.
  if (last != nullptr) last->Cancel();
  std::unique_lock<std::mutex> lock(mu_);
  session_over_.wait(lock, [this] { return live_ == 0; });
  session_.reset();
}

void PeerLink::ScheduleDial(std::chrono::milliseconds delay) {
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) Dial();
  });
}

void PeerLink::Dial() {
  DialSession* session = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    session_ = std::make_unique<DialSession>(
        context_, peer_, policy_,
        [this](const absl::Status& why, bool made_progress) { Ended(why, made_progress); });
    ++live_;
    session = session_.get();
  }
  session->Start();
}

void PeerLink::Ended(const absl::Status& why, bool made_progress) {
  bool stopping = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping = stopping_;
  }
  if (!stopping) {
    context_->registry->RecordError(peer_.node_id, why.ok() ? "" : std::string(why.message()),
                                    why.code());
    spdlog::warn("peer {} at {}: {}", peer_.node_id, peer_.address,
                 EscapeForTerminal(why.ToString()));
    boost::asio::post(*io_, [this, made_progress] {
      // Exponential backoff with jitter, back to the start after a session that worked.
      backoff_ = made_progress ? policy_.initial : std::min(backoff_ * 2, policy_.max);
      std::uniform_real_distribution<double> jitter(0.5, 1.5);
      ScheduleDial(std::chrono::milliseconds(
          static_cast<int64_t>(static_cast<double>(backoff_.count()) * jitter(random_))));
    });
  }
  std::lock_guard<std::mutex> lock(mu_);
  --live_;
  session_over_.notify_all();  // last: Stop may now delete this link
}

}  // namespace ldgs::daemon::replication

#include "daemon/replication/stream_guard.h"

namespace ldgs::daemon::replication {

StreamGuard::StreamGuard(PeerRegistry* registry, std::string peer,
                         std::function<void(grpc::Status)> finish, std::function<void()> destroy)
    : registry_(registry),
      peer_(std::move(peer)),
      finish_(std::move(finish)),
      destroy_(std::move(destroy)) {
  // Revocation closes the stream from whatever thread revokes. It must not touch a reactor
  // that is already gone, so it checks liveness and holds the reactor while it finishes it.
  stream_id_ = registry_->StreamOpened(peer_, [this, liveness = liveness_] {
    {
      std::lock_guard<std::mutex> lock(liveness->mu);
      if (!liveness->alive) return;
      Hold();
    }
    FinishOnce(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "node " + peer_ + " was revoked"));
    Release();
  });
}

void StreamGuard::FinishOnce(const grpc::Status& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
  }
  finish_(status);
}

bool StreamGuard::finished() const {
  std::lock_guard<std::mutex> lock(mu_);
  return finished_;
}

bool StreamGuard::StartUnlessFinished(const std::function<void()>& start) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return false;
  start();
  return true;
}

void StreamGuard::Hold() {
  std::lock_guard<std::mutex> lock(mu_);
  ++holds_;
}

void StreamGuard::Release() {
  bool last = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last = --holds_ == 0;
  }
  if (last) destroy_();
}

void StreamGuard::Post(const Executor& executor, std::function<void()> task) {
  Hold();
  executor([this, task = std::move(task)] {
    task();
    Release();
  });
}

void StreamGuard::Done() {
  registry_->StreamClosed(peer_, stream_id_);
  {
    std::lock_guard<std::mutex> lock(liveness_->mu);
    liveness_->alive = false;
  }
  Release();
}

}  // namespace ldgs::daemon::replication

#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "daemon/replication/replication_context.h"
#include "grpcpp/support/status.h"

namespace ldgs::daemon::replication {

// Lifetime bookkeeping for one callback reactor (a Push or Pull stream) whose work also
// runs on the storage executor and which revocation may close from any thread:
// - Finish happens exactly once, and no StartRead/StartWrite after it;
// - the reactor is deleted only when gRPC is done with it (OnDone) and no executor task or
//   revocation still holds it.
// The reactor owns its guard and hands it `finish` (calls the reactor's Finish) and
// `destroy` (deletes the reactor, and with it this guard). Thread-safe.
class StreamGuard {
 public:
  StreamGuard(PeerRegistry* registry, std::string peer, std::function<void(grpc::Status)> finish,
              std::function<void()> destroy);

  void FinishOnce(const grpc::Status& status);
  bool finished() const;

  // Runs `start` unless Finish was claimed, atomically with that check.
  bool StartUnlessFinished(const std::function<void()>& start);

  // Runs `task` on `executor`, keeping the reactor alive until it returns.
  void Post(const Executor& executor, std::function<void()> task);
  // Keeps the reactor alive across work started on another thread; Release undoes it.
  void Hold();
  void Release();

  // Called from the reactor's OnDone, last thing: may delete the reactor.
  void Done();

 private:
  // Shared with the registry's cancel callback, which may outlive the reactor.
  struct Liveness {
    std::mutex mu;
    bool alive = true;
  };

  PeerRegistry* registry_;
  const std::string peer_;
  const std::function<void(grpc::Status)> finish_;
  const std::function<void()> destroy_;
  std::shared_ptr<Liveness> liveness_ = std::make_shared<Liveness>();
  uint64_t stream_id_ = 0;
  mutable std::mutex mu_;
  bool finished_ = false;
  int holds_ = 1;  // gRPC's own, released by Done
};

}  // namespace ldgs::daemon::replication

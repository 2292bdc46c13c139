#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "daemon/hub/aggregator.h"
#include "daemon/hub/works_aggregator.h"
#include "daemon/replication/change_notifier.h"

namespace ldgs::daemon {

// Keeps a hub's rollups and "what's working" cells current: runs both aggregators on its own
// thread, woken by the change notifier after every commit (and every few seconds regardless).
class HubRunner {
 public:
  // The aggregators are owned; `notifier` must outlive the runner.
  HubRunner(std::unique_ptr<hub::Aggregator> aggregator,
            std::unique_ptr<hub::WorksAggregator> works, replication::ChangeNotifier* notifier);
  ~HubRunner();  // stops and joins

  void Stop();

 private:
  void Loop();
  void WorksLoop();

  std::unique_ptr<hub::Aggregator> aggregator_;
  std::unique_ptr<hub::WorksAggregator> works_;
  replication::ChangeNotifier* notifier_;
  static constexpr auto kWorksInterval = std::chrono::seconds(3);
  // Rollups at most 20 times a second: a run's fixed cost (the member list, a feed read, a
  // synced cursor) once per commit was a quarter of a busy hub's CPU, and the figures wait
  // minutes for their publish delay anyway.
  static constexpr auto kRunInterval = std::chrono::milliseconds(50);
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::thread works_thread_;
};

}  // namespace ldgs::daemon

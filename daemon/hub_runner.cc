#include "daemon/hub_runner.h"

#include "common/clock.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon {

HubRunner::HubRunner(std::unique_ptr<hub::Aggregator> aggregator,
                     std::unique_ptr<hub::WorksAggregator> works,
                     replication::ChangeNotifier* notifier)
    : aggregator_(std::move(aggregator)),
      works_(std::move(works)),
      notifier_(notifier),
      thread_([this] { Loop(); }),
      works_thread_([this] { WorksLoop(); }) {}

HubRunner::~HubRunner() { Stop(); }

void HubRunner::Loop() {
  while (!stopping_) {
    const uint64_t seen = notifier_->last_seq();
    const auto started = std::chrono::steady_clock::now();
    absl::StatusOr<int> written = aggregator_->RunOnce(NowMicros());
    if (!written.ok()) spdlog::error("aggregator: {}", written.status().ToString());
    for (const std::string& group : aggregator_->skipped()) {
      spdlog::error("aggregator: group left as last published: {}", group);
    }
    notifier_->WaitBeyond(seen, std::chrono::steady_clock::now() + std::chrono::seconds(5));
    while (!stopping_ && std::chrono::steady_clock::now() < started + kRunInterval) {
      notifier_->WaitBeyond(UINT64_MAX, started + kRunInterval);  // only Stop wakes it
    }
  }
}

// What's working on its own thread: a run reads every adopted practice's observations and
// audits every figure, which on a large hub takes far longer than deciding rollups, and
// must not hold them up. At most one run every few seconds, however fast records arrive.
void HubRunner::WorksLoop() {
  while (!stopping_) {
    const uint64_t seen = notifier_->last_seq();
    const auto started = std::chrono::steady_clock::now();
    absl::StatusOr<int> works = works_->RunOnce(NowMicros());
    if (!works.ok() && !absl::IsCancelled(works.status())) {
      spdlog::error("what's working: {}", works.status().ToString());
    }
    while (!stopping_ && std::chrono::steady_clock::now() < started + kWorksInterval) {
      notifier_->WaitBeyond(UINT64_MAX, started + kWorksInterval);  // only Stop wakes it
    }
    if (!stopping_) {
      notifier_->WaitBeyond(seen, std::chrono::steady_clock::now() + std::chrono::seconds(5));
    }
  }
}

void HubRunner::Stop() {
  stopping_ = true;
  works_->Cancel();
  notifier_->WakeAll();
  if (thread_.joinable()) thread_.join();
  if (works_thread_.joinable()) works_thread_.join();
}

}  // namespace ldgs::daemon

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
      thread_([this] { Loop(); }) {}

HubRunner::~HubRunner() { Stop(); }

void HubRunner::Loop() {
  while (!stopping_) {
    const uint64_t seen = notifier_->last_seq();
    absl::StatusOr<int> written = aggregator_->RunOnce(NowMicros());
    if (!written.ok()) spdlog::error("aggregator: {}", written.status().ToString());
    for (const std::string& group : aggregator_->skipped()) {
      spdlog::error("aggregator: group left as last published: {}", group);
    }
    // What's working reads every adopted practice's observations: at most every few
    // seconds, however fast records arrive.
    if (std::chrono::steady_clock::now() >= next_works_) {
      absl::StatusOr<int> works = works_->RunOnce(NowMicros());
      if (!works.ok()) spdlog::error("what's working: {}", works.status().ToString());
      next_works_ = std::chrono::steady_clock::now() + kWorksInterval;
    }
    notifier_->WaitBeyond(seen, std::chrono::steady_clock::now() + std::chrono::seconds(5));
  }
}

void HubRunner::Stop() {
  stopping_ = true;
  notifier_->WakeAll();
  if (thread_.joinable()) thread_.join();
}

}  // namespace ldgs::daemon

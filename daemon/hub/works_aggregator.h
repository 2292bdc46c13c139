#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/hub/learning_sources.h"
#include "daemon/hub/practice_cache.h"
#include "daemon/hub/rollup.h"
#include "storage/local_writer.h"

namespace ldgs::daemon::hub {

// Keeps a hub's "what's working" cells current (works.h decides each one). For every metric
// that counts here and every practice adopted below this hub, it decides the cell of the
// latest period this hub published the metric for, from its direct member chapters'
// observations and adaptations and its member hubs' contributions, and writes the cell,
// its contribution up the tree and its private state in one batch. It reruns only when the
// store moved. Not thread-safe: driven by the hub's runner thread.
class WorksAggregator {
 public:
  // Pointers must outlive it; the functions as for Aggregator. `practices` (optional) is
  // the node's practice cache; without it every run reads the practices from the store.
  WorksAggregator(storage::RecordStore* records, storage::NodeState* state,
                  storage::LocalWriter* writer, std::string self_id, RollupSettings settings,
                  bool has_hub_above, std::function<std::vector<std::string>()> hub_chain,
                  std::function<bool(const std::string&)> is_revoked,
                  PracticeCache* practices = nullptr);

  // Returns the number of records written. CANCELLED when Cancel was called meanwhile (what
  // was decided so far is written).
  absl::StatusOr<int> RunOnce(int64_t now_us);
  // Makes a run in progress stop at the next practice (from any thread): a large hub's run
  // can take minutes, and a node stopping must not wait for it.
  void Cancel() { cancelled_ = true; }

  // The node-state marker holding a cell's parts (v1::PublishedGroup).
  static std::string StateMarker(const std::string& metric, const std::string& period,
                                 const std::string& practice_key);
  // The marker holding the audit history of every cell of (metric, period).
  static std::string AuditMarker(const std::string& metric, const std::string& period);

 private:
  struct Metric {
    v1::Record definition;
    std::string period;  // the latest this hub published
  };
  // The metrics to decide; `held_cells` gets the ids of this hub's what's-working cells.
  absl::StatusOr<std::vector<Metric>> MetricsToDecide(std::set<std::string>* held_cells) const;
  absl::StatusOr<std::shared_ptr<const PracticeForest>> ForestFor(v1::Audience audience) const;

  storage::RecordStore* store_;
  storage::NodeState* state_;
  storage::LocalWriter* writer_;
  LearningSources sources_;
  const RollupSettings settings_;
  const bool has_hub_above_;
  const std::function<bool(const std::string&)> is_revoked_;
  PracticeCache* practices_;
  uint64_t decided_through_ = 0;  // the store's last sequence at the last full run
  std::string decided_members_;   // and who counted then
  bool ran_ = false;
  std::atomic<bool> cancelled_{false};
};

}  // namespace ldgs::daemon::hub

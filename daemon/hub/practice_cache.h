#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "daemon/hub/learning_sources.h"
#include "daemon/hub/practice_forest.h"

namespace ldgs::daemon::hub {

// The practices a node holds, kept in memory and brought up to date from the store's
// change feed on each use: ranking, provenance, the report and what's working read 10,000s
// of practices, and reading each from the store every time costs a point lookup apiece. One
// copy of each record, shared by the forest of every audience. Thread-safe.
class PracticeCache {
 public:
  explicit PracticeCache(const LearningSources* sources) : sources_(sources) {}

  // The adaptation trees of the live practices visible to `audience`, as of now.
  absl::StatusOr<std::shared_ptr<const PracticeForest>> Forest(v1::Audience audience);

 private:
  absl::Status CatchUpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const LearningSources* sources_;
  std::mutex mu_;
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  std::string epoch_ ABSL_GUARDED_BY(mu_);
  uint64_t cursor_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;
  // Live practices any audience may see (hub, network, public).
  std::map<PracticeKey, std::shared_ptr<const v1::Record>> practices_ ABSL_GUARDED_BY(mu_);
  struct Built {
    uint64_t at_change = 0;
    std::shared_ptr<const PracticeForest> forest;
  };
  std::map<v1::Audience, Built> forests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ldgs::daemon::hub

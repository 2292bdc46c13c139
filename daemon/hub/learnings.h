#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/hub/catalogue_index.h"
#include "daemon/hub/learning_sources.h"
#include "daemon/hub/practice_cache.h"
#include "ldgs/v1/learnings.pb.h"

namespace ldgs::daemon::hub {

// The shared learnings a node serves, to its Admin API and its web page alike: one object
// per node, owning the catalogue's index. Thread-safe.
class Learnings {
 public:
  // Opens the catalogue index in `index_dir`; `sources`' pointers must outlive it.
  static absl::StatusOr<std::unique_ptr<Learnings>> Open(LearningSources sources,
                                                         const std::string& index_dir);

  absl::StatusOr<v1::SearchCatalogueResponse> Search(const v1::SearchCatalogueRequest& request);
  absl::StatusOr<v1::RankPracticesResponse> Rank(const v1::RankPracticesRequest& request) const;
  absl::StatusOr<v1::ProvenanceResponse> Provenance(const v1::ProvenanceRequest& request) const;
  absl::StatusOr<v1::CompareResponse> Compare(const v1::CompareRequest& request) const;
  absl::StatusOr<v1::NetworkReport> Report(const v1::ReportRequest& request, int64_t now_us) const;

  // Brings the catalogue index up to the store (searches do it too).
  absl::Status CatchUp();

  const LearningSources& sources() const { return *sources_; }
  // The practices in memory, for the hub's what's-working aggregator too.
  PracticeCache* practices() const { return practices_.get(); }

 private:
  Learnings(std::unique_ptr<LearningSources> sources, std::unique_ptr<CatalogueIndex> index);
  std::unique_ptr<LearningSources> sources_;  // stable address: the index refers to it
  std::unique_ptr<CatalogueIndex> catalogue_;
  std::unique_ptr<PracticeCache> practices_;
};

}  // namespace ldgs::daemon::hub

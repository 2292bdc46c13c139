#include "daemon/hub/learnings.h"

#include "common/status_macros.h"
#include "daemon/hub/network_report.h"
#include "daemon/hub/practice_ranking.h"
#include "daemon/hub/standing.h"

namespace ldgs::daemon::hub {

absl::StatusOr<std::unique_ptr<Learnings>> Learnings::Open(LearningSources sources,
                                                           const std::string& index_dir) {
  auto owned = std::make_unique<LearningSources>(std::move(sources));
  LDGS_ASSIGN_OR_RETURN(std::unique_ptr<CatalogueIndex> index,
                        CatalogueIndex::Open(index_dir, *owned));
  return std::unique_ptr<Learnings>(new Learnings(std::move(owned), std::move(index)));
}

Learnings::Learnings(std::unique_ptr<LearningSources> sources,
                     std::unique_ptr<CatalogueIndex> index)
    : sources_(std::move(sources)),
      catalogue_(std::move(index)),
      practices_(std::make_unique<PracticeCache>(sources_.get())) {}

absl::StatusOr<v1::SearchCatalogueResponse> Learnings::Search(
    const v1::SearchCatalogueRequest& request) {
  return catalogue_->Search(request);
}

absl::StatusOr<v1::RankPracticesResponse> Learnings::Rank(
    const v1::RankPracticesRequest& request) const {
  LDGS_ASSIGN_OR_RETURN(std::shared_ptr<const PracticeForest> forest,
                        practices_->Forest(request.audience()));
  return RankPractices(*sources_, *forest, request);
}

absl::StatusOr<v1::ProvenanceResponse> Learnings::Provenance(
    const v1::ProvenanceRequest& request) const {
  LDGS_ASSIGN_OR_RETURN(std::shared_ptr<const PracticeForest> forest,
                        practices_->Forest(request.audience()));
  return hub::Provenance(*sources_, *forest, request);
}

absl::StatusOr<v1::CompareResponse> Learnings::Compare(const v1::CompareRequest& request) const {
  return hub::Compare(*sources_, request);
}

absl::StatusOr<v1::NetworkReport> Learnings::Report(const v1::ReportRequest& request,
                                                    int64_t now_us) const {
  LDGS_ASSIGN_OR_RETURN(std::shared_ptr<const PracticeForest> forest,
                        practices_->Forest(request.audience()));
  LDGS_ASSIGN_OR_RETURN(uint32_t stories, catalogue_->Count(v1::KIND_STORY, request.audience()));
  return BuildReport(*sources_, *forest, stories, request, now_us);
}

absl::Status Learnings::CatchUp() { return catalogue_->CatchUp().status(); }

}  // namespace ldgs::daemon::hub

#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/hub/learning_sources.h"
#include "daemon/hub/practice_forest.h"
#include "ldgs/v1/learnings.pb.h"

// Practices ranked by adoption and by what worked, and a practice's adaptation tree.
namespace ldgs::daemon::hub {

// The metric a ranking is about: `asked`, else actively_homeless when it is defined here,
// else the first metric defined here, of the definitions `audience` may see; empty when
// none is.
absl::StatusOr<std::string> RankingMetric(const LearningSources& sources, const std::string& asked,
                                          v1::Audience audience);

// The "what's working" figure of each practice (keyed by record::PracticeKey) for `metric`
// as this node may show it to `audience`: of the latest period, from the widest hub of its
// authorities (itself, then its chain) that published one; a withheld figure only when no
// hub published the practice's figure.
absl::StatusOr<std::map<std::string, v1::OutcomeFigure>> PublishedOutcomes(
    const LearningSources& sources, const std::string& metric, v1::Audience audience);

// The improvement a figure shows: adopters' change minus the others'; nullopt when withheld.
std::optional<double> Improvement(const v1::OutcomeFigure& figure);

// `forest` holds the practices visible to the request's audience.
absl::StatusOr<v1::RankPracticesResponse> RankPractices(const LearningSources& sources,
                                                        const PracticeForest& forest,
                                                        const v1::RankPracticesRequest& request);

absl::StatusOr<v1::ProvenanceResponse> Provenance(const LearningSources& sources,
                                                  const PracticeForest& forest,
                                                  const v1::ProvenanceRequest& request);

}  // namespace ldgs::daemon::hub

#pragma once

#include "absl/status/statusor.h"
#include "daemon/hub/learning_sources.h"
#include "ldgs/v1/learnings.pb.h"

namespace ldgs::daemon::hub {

// How this node stands on `request.metric` for every period it observed: its own value
// against the mean of its region and of the network, as its hub chain published them (a
// rollup counts only from the chain; quantiles are never published, so the mean it is).
// NOT_FOUND when this node has no observation of the metric.
absl::StatusOr<v1::CompareResponse> Compare(const LearningSources& sources,
                                            const v1::CompareRequest& request);

}  // namespace ldgs::daemon::hub

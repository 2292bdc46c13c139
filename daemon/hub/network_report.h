#pragma once

#include "absl/status/statusor.h"
#include "daemon/hub/learning_sources.h"
#include "daemon/hub/practice_forest.h"
#include "ldgs/v1/learnings.pb.h"

namespace ldgs::daemon::hub {

// "State of the network" for `request.audience`: the figures this hub published (a chapter
// shows its nearest hub's), counts of what is shared, and the practices that are spreading
// with what worked. Withheld and suppressed cells carry no number: the aggregator never
// wrote one.
// `forest` holds the practices and `stories` counts the stories visible to the audience.
absl::StatusOr<v1::NetworkReport> BuildReport(const LearningSources& sources,
                                              const PracticeForest& forest, uint32_t stories,
                                              const v1::ReportRequest& request, int64_t now_us);

}  // namespace ldgs::daemon::hub

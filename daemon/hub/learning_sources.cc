#include "daemon/hub/learning_sources.h"

#include "common/status_macros.h"
#include "daemon/hub/audience.h"

namespace ldgs::daemon::hub {

std::vector<std::string> Authorities(const LearningSources& sources) {
  std::vector<std::string> authorities = {sources.self_id};
  if (sources.hub_chain) {
    for (const std::string& hub : sources.hub_chain()) authorities.push_back(hub);
  }
  return authorities;
}

absl::StatusOr<std::optional<v1::Record>> DefinitionOf(const LearningSources& sources,
                                                       const std::string& metric) {
  for (const std::string& origin : Authorities(sources)) {
    absl::StatusOr<storage::StoredEntry> held = sources.store->Get(origin, "metric:" + metric);
    if (held.ok() && !held->record.deleted() && held->record.has_metric_definition()) {
      return std::optional<v1::Record>(held->record);
    }
    if (!held.ok() && !absl::IsNotFound(held.status())) return held.status();
  }
  return std::optional<v1::Record>();
}

RegionBook::RegionBook(const LearningSources& sources) : sources_(sources) {}

std::string RegionOf(const LearningSources& sources, const std::string& origin) {
  if (sources.state) {
    absl::StatusOr<v1::Enrollment> enrollment = sources.state->GetEnrollment(origin);
    if (enrollment.ok() && !enrollment->region().empty()) return enrollment->region();
  }
  if (origin == sources.self_id && sources.enrolled_region) {
    std::string region = sources.enrolled_region();
    if (!region.empty()) return region;
  }
  absl::StatusOr<storage::StoredEntry> profile = sources.store->Get(origin, "profile");
  if (profile.ok() && profile->record.has_node_profile()) {
    return profile->record.node_profile().region();
  }
  return "";
}

std::string RegionBook::RegionOf(const std::string& origin) {
  auto it = known_.find(origin);
  if (it == known_.end()) it = known_.emplace(origin, hub::RegionOf(sources_, origin)).first;
  return it->second;
}

absl::Status ForEachVisible(const LearningSources& sources, v1::Kind kind, v1::Audience audience,
                            const std::function<bool(const v1::Record&)>& visit) {
  storage::ListFilter filter;
  filter.kind = kind;
  return sources.store->Scan(filter, [&](const storage::StoredEntry& entry, std::string_view) {
    if (!VisibleTo(entry.record, audience)) return true;
    return visit(entry.record);
  });
}

}  // namespace ldgs::daemon::hub

#pragma once

#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "storage/node_state.h"

namespace ldgs::daemon::hub {

// Who counts here, from this hub's enrollments.
struct Members {
  std::map<std::string, std::string> chapters;  // node -> region
  std::map<std::string, std::string> hubs;      // member hub -> region
  std::string Fingerprint() const {
    std::string out;
    for (const auto& [node, region] : chapters) out += "c" + node + "=" + region + "\n";
    for (const auto& [node, region] : hubs) out += "h" + node + "=" + region + "\n";
    return out;
  }
};

// The members whose figures count here: enrolled, not revoked; a member hub only when its
// region holds nothing else (enrollment refuses mixing; an older store might hold a mix).
absl::StatusOr<Members> LoadMembers(const storage::NodeState& state,
                                    const std::function<bool(const std::string&)>& is_revoked);

}  // namespace ldgs::daemon::hub

#include "daemon/hub/members.h"

#include <set>

#include "common/status_macros.h"

namespace ldgs::daemon::hub {

absl::StatusOr<Members> LoadMembers(const storage::NodeState& state,
                                    const std::function<bool(const std::string&)>& is_revoked) {
  LDGS_ASSIGN_OR_RETURN(std::vector<v1::Enrollment> enrollments, state.ListEnrollments());
  Members members;
  for (const v1::Enrollment& e : enrollments) {
    if (e.revoked() || is_revoked(e.node_id())) continue;
    const std::string region = e.region().empty() ? "unassigned" : e.region();
    if (e.relation() == v1::RELATION_MEMBER) members.chapters[e.node_id()] = region;
    if (e.relation() == v1::RELATION_MEMBER_HUB) members.hubs[e.node_id()] = region;
  }
  // A member hub's region is its own (enrollment refuses mixing): should an older store
  // hold a mix, the member hub does not count, rather than make a chapter's value the
  // region's figure minus a public subtree.
  std::map<std::string, int> hubs_in;
  for (const auto& [hub, region] : members.hubs) ++hubs_in[region];
  std::set<std::string> chapter_regions;
  for (const auto& [node, region] : members.chapters) chapter_regions.insert(region);
  for (auto it = members.hubs.begin(); it != members.hubs.end();) {
    const bool mixed = chapter_regions.count(it->second) || hubs_in[it->second] > 1;
    it = mixed ? members.hubs.erase(it) : std::next(it);
  }
  return members;
}

}  // namespace ldgs::daemon::hub

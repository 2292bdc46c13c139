#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ldgs/v1/learnings.pb.h"
#include "storage/node_state.h"
#include "storage/record_store.h"

// What the learnings read of a node: its store, its enrollments and where it sits in the
// tree. Shared by the catalogue, the ranking, compare and the report.
namespace ldgs::daemon::hub {

struct LearningSources {
  storage::RecordStore* store = nullptr;
  storage::NodeState* state = nullptr;
  std::string self_id;
  // The hubs above this node, nearest first (whose figures count here).
  std::function<std::vector<std::string>()> hub_chain;
  // The region this node's hub counts it in; empty until known.
  std::function<std::string()> enrolled_region;
};

// This node, then its hub chain nearest first: whose definitions and figures count here.
std::vector<std::string> Authorities(const LearningSources& sources);

// The metric definition that counts here (this node's own, else its chain's, nearest
// first); nullopt when none. Definitions from anyone else are ignored.
absl::StatusOr<std::optional<v1::Record>> DefinitionOf(const LearningSources& sources,
                                                       const std::string& metric);

// The region of each origin as this node knows it: the region it enrolled a member in,
// else the origin's own profile. Looked up once per origin.
class RegionBook {
 public:
  explicit RegionBook(const LearningSources& sources);
  std::string RegionOf(const std::string& origin);

 private:
  const LearningSources& sources_;
  std::map<std::string, std::string> known_;
};

// Every record of `kind` visible to `audience`, one at a time, until `visit` returns false.
absl::Status ForEachVisible(const LearningSources& sources, v1::Kind kind, v1::Audience audience,
                            const std::function<bool(const v1::Record&)>& visit);

}  // namespace ldgs::daemon::hub

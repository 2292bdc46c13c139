#include "client/definitions.h"

namespace ldgs::client {

std::optional<v1::MetricDefinition> DefinitionFor(const std::vector<v1::Record>& definitions,
                                                  const std::string& code,
                                                  const v1::NodeStatus& status) {
  std::vector<std::string> authorities = {status.node_id()};
  authorities.insert(authorities.end(), status.hub_chain().begin(), status.hub_chain().end());
  for (const std::string& origin : authorities) {
    for (const v1::Record& d : definitions) {
      if (!d.deleted() && d.origin() == origin && d.has_metric_definition() &&
          d.metric_definition().code() == code) {
        return d.metric_definition();
      }
    }
  }
  return std::nullopt;
}

}  // namespace ldgs::client

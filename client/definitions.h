#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ldgs/v1/admin.pb.h"
#include "ldgs/v1/record.pb.h"

namespace ldgs::client {

// The metric definition that counts for this node, as the hub's aggregator decides it: its
// own, else the nearest hub's of its chain. A definition some member or sister wrote under
// the same code (say, with the direction reversed) is ignored.
std::optional<v1::MetricDefinition> DefinitionFor(const std::vector<v1::Record>& definitions,
                                                  const std::string& code,
                                                  const v1::NodeStatus& status);

}  // namespace ldgs::client

#pragma once

#include <map>
#include <string>
#include <vector>

#include "client/catalogue.h"
#include "ldgs/v1/admin.pb.h"

// "State of the network": what a hub publishes about its network, built from the records
// it holds, rendered as a table, JSON or one self-contained HTML page. Every output shows a
// withheld value as "suppressed" and a rollup over too few chapters as withheld: the
// numbers are simply not in the rollup records (the aggregator never writes them).
namespace ldgs::client {

struct MetricSection {
  v1::MetricDefinition definition;
  std::vector<v1::Rollup> network;                         // by period, ascending
  std::map<std::string, std::vector<v1::Rollup>> regions;  // region -> by period
};

// Who a report is for: the hub's operator (hub, network and public records held here), the
// network (network and public: what every member may see), or the public (public records and
// the rollups of public metrics). Nobody's private record is in any of them.
enum class Audience { kOperator, kNetwork, kPublic };
std::string AudienceName(Audience audience);
// Whether `record` may appear in a report for `audience`.
bool VisibleTo(const v1::Record& record, Audience audience);

struct NetworkReport {
  Audience audience = Audience::kNetwork;
  std::string hub_name;
  std::string hub_id;
  std::string generated;  // UTC timestamp
  int chapters = 0;       // member chapters enrolled (not revoked)
  int practices = 0;
  int stories = 0;
  std::vector<MetricSection> metrics;
  std::vector<PracticeRank> top_practices;  // at most 10
};

// Builds the report of hub `status` for `audience` from the records it holds and its peers.
NetworkReport BuildReport(const v1::NodeStatus& status, const std::vector<v1::Record>& records,
                          const v1::ListPeersResponse& peers, Audience audience, int64_t now_us);

std::string RenderReportTable(const NetworkReport& report);
std::string RenderReportJson(const NetworkReport& report);
std::string RenderReportHtml(const NetworkReport& report);

// One rollup statistic for display: the number, "suppressed", or "withheld" when the rollup
// is over too few chapters to publish. `field` is the Rollup field name.
std::string ShowStat(const v1::Rollup& rollup, const std::string& field);

}  // namespace ldgs::client

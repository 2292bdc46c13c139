#include "daemon/hub/standing.h"

#include "common/status_macros.h"
#include "daemon/hub/disclosure.h"
#include "record/record_validation.h"

namespace ldgs::daemon::hub {
namespace {

// The published cell of `scope` for `period` from `hub`, if it holds one.
std::optional<v1::Rollup> CellOf(const LearningSources& sources, const std::string& hub,
                                 const std::string& metric, const std::string& period,
                                 const std::string& scope) {
  absl::StatusOr<storage::StoredEntry> held =
      sources.store->Get(hub, "rollup:" + metric + ":" + period + ":" + scope);
  if (!held.ok() || held->record.deleted() || !held->record.has_rollup()) return std::nullopt;
  return held->record.rollup();
}

std::string Position(double mine, const v1::Rollup* network, bool down_is_good) {
  if (!network || network->withheld() || !network->has_mean()) return "-";
  if (mine == network->mean()) return "at the mean";
  const bool better = down_is_good ? mine < network->mean() : mine > network->mean();
  return better ? "better than the mean" : "worse than the mean";
}

}  // namespace

absl::StatusOr<v1::CompareResponse> Compare(const LearningSources& sources,
                                            const v1::CompareRequest& request) {
  if (request.metric().empty() || !record::IsValidRecordId(request.metric(), 40)) {
    return absl::InvalidArgumentError("give a metric code");
  }
  v1::CompareResponse response;
  response.set_metric(request.metric());
  LDGS_ASSIGN_OR_RETURN(std::optional<v1::Record> definition,
                        DefinitionOf(sources, request.metric()));
  if (definition) *response.mutable_definition() = definition->metric_definition();
  const bool down_is_good =
      definition && definition->metric_definition().direction() == v1::DIRECTION_DOWN_IS_GOOD;
  RegionBook regions(sources);
  const std::string region = regions.RegionOf(sources.self_id);
  response.set_region(region);
  const std::vector<std::string> chain =
      sources.hub_chain ? sources.hub_chain() : std::vector<std::string>();

  storage::ListFilter mine;
  mine.origin = sources.self_id;
  mine.metric = request.metric();
  std::vector<v1::Record> observations;
  LDGS_RETURN_IF_ERROR(
      sources.store->Scan(mine, [&](const storage::StoredEntry& e, std::string_view) {
        if (!e.record.deleted() && e.record.has_metric_observation()) {
          observations.push_back(e.record);
        }
        return true;
      }));
  if (observations.empty()) {
    return absl::NotFoundError("this node has no observations of " + request.metric());
  }
  std::sort(observations.begin(), observations.end(), [](const auto& a, const auto& b) {
    return a.metric_observation().period() < b.metric_observation().period();
  });
  for (const v1::Record& o : observations) {
    const std::string& period = o.metric_observation().period();
    v1::ComparePeriod* row = response.add_periods();
    row->set_period(period);
    row->set_mine(o.metric_observation().value());
    // The region's figure from the nearest hub that published one.
    for (const std::string& hub : chain) {
      if (auto cell = CellOf(sources, hub, request.metric(), period, RegionScope(region))) {
        *row->mutable_region() = *cell;
        break;
      }
    }
    // The network as wide as the chain goes: the highest hub whose figure is published.
    std::optional<v1::Rollup> network;
    for (auto hub = chain.rbegin(); hub != chain.rend(); ++hub) {
      auto cell = CellOf(sources, *hub, request.metric(), period, kNetworkScope);
      if (cell && !network) network = cell;
      if (cell && !cell->withheld()) {
        network = cell;
        break;
      }
    }
    if (network) *row->mutable_network() = *network;
    row->set_position(
        Position(row->mine(), row->has_network() ? &row->network() : nullptr, down_is_good));
  }
  return response;
}

}  // namespace ldgs::daemon::hub

#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/hub/rollup.h"
#include "ldgs/v1/record.pb.h"
#include "ldgs/v1/storage.pb.h"

// Disclosure control: what a hub publishes of one (metric, period) group (the network and
// each region), so that no reader of everything it ever published, at every level and
// period, can work out one chapter's value or a withheld cell. Pure and deterministic; the
// rules and their reasons are in docs/decisions.md ("Disclosure control").
namespace ldgs::daemon::hub {

using Contributor = v1::PublishedGroup::Contributor;

struct GroupInputs {
  v1::MetricDefinition definition;  // code, rule, direction, target, bounds
  std::string period;
  // Direct member chapters with an observation, and member hubs with a contribution.
  std::vector<Contributor> contributors;
  // Enrolled (unrevoked) member chapters per region, whether or not they reported.
  std::map<std::string, uint32_t> expected_direct;
  // Member hubs whose contribution is withheld below: counted as expected only.
  std::map<std::string, uint32_t> expected_withheld_subtrees;
  // Every member chapter enrolled here has an observation and every member hub a
  // contribution (withheld or not).
  bool all_reported = false;
  // The period is closed for publication: publish_delay after the later of its end and
  // this hub's first report for it.
  bool period_closed = false;
};

// The published value of each scope of the previous period (for `change`).
using PreviousValues = std::map<std::string, double>;

struct GroupPublication {
  v1::PublishedGroup state;           // to keep, private, for the next decision
  std::vector<v1::Rollup> cells;      // "network" and "region:NAME" for every region
  std::optional<v1::Rollup> subtree;  // what to tell this hub's own hub (a contribution)
};

// Decides the group's publication. The first publication waits until every member reported
// or the period closed, and fixes the pattern: regions under min_reporting
// chapters, small counts and cells at the metric's bound are withheld, and more regions
// (fewest chapters first) until the withheld ones are at least two holding at least
// min_reporting chapters, or else the network is withheld too. Later, a region's figure
// moves only when at least min_reporting of its chapters changed (the withheld regions
// count as one), so two versions never differ by fewer than min_reporting values. Last,
// every publication passes the audit (disclosure_audit.h) over everything published of the
// group before, or publishes less: fewer regions, no network, or no new version.
// nullopt while there is nothing to publish yet. `has_hub_above` adds the contribution.
std::optional<GroupPublication> Decide(const GroupInputs& inputs,
                                       const v1::PublishedGroup* previous,
                                       const PreviousValues& previous_period,
                                       const RollupSettings& settings, bool has_hub_above,
                                       int64_t now_us);

inline constexpr char kNetworkScope[] = "network";
std::string RegionScope(const std::string& region);

}  // namespace ldgs::daemon::hub

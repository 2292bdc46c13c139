#include "daemon/hub/aggregator.h"

#include <map>

#include "common/status_macros.h"

namespace ldgs::daemon::hub {
namespace {

constexpr size_t kFeedChunk = 1000;
constexpr char kNetworkScope[] = "network";
constexpr char kNoRegion[] = "unassigned";

// Region names are free text; record ids are not.
std::string IdPart(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    out.push_back(ok ? c : '-');
  }
  return out.substr(0, 64);
}

// What one period of one metric looks like from this hub: values by region, and how many
// chapters each region expects.
struct PeriodInputs {
  std::map<std::string, std::vector<ChapterValue>> values;
  std::map<std::string, uint32_t> expected;
};

std::vector<ChapterValue> Flatten(
    const std::map<std::string, std::vector<ChapterValue>>& by_region) {
  std::vector<ChapterValue> all;
  for (const auto& [region, values] : by_region)
    all.insert(all.end(), values.begin(), values.end());
  return all;
}

bool SameRollup(v1::Rollup a, v1::Rollup b) {
  a.clear_computed_us();
  b.clear_computed_us();
  return a.SerializeAsString() == b.SerializeAsString();
}

}  // namespace

Aggregator::Aggregator(storage::RecordStore* records, const storage::NodeState* state,
                       storage::LocalWriter* writer, std::string self_id, RollupSettings settings,
                       bool has_hub_above)
    : store_(records),
      state_(state),
      writer_(writer),
      self_id_(std::move(self_id)),
      settings_(settings),
      has_hub_above_(has_hub_above) {}

absl::Status Aggregator::MarkDirty(const storage::StoredEntry& entry, std::set<Cell>* dirty) {
  const v1::Record& r = entry.record;
  const bool own = r.origin() == self_id_;
  bool everything = false;
  switch (r.kind()) {
    case v1::KIND_METRIC_OBSERVATION:
      if (r.deleted()) {
        everything = true;  // a tombstone does not say which cell it left
      } else {
        dirty->emplace(r.metric_observation().metric(), r.metric_observation().period());
      }
      break;
    case v1::KIND_ROLLUP:
      if (own) break;  // our own output
      if (r.deleted()) {
        everything = true;
      } else if (r.rollup().contribution()) {
        dirty->emplace(r.rollup().metric(), r.rollup().period());
      }
      break;
    case v1::KIND_METRIC_DEFINITION:
    case v1::KIND_NODE_PROFILE:  // a region change moves a chapter between cells
      everything = true;
      break;
    default:
      break;
  }
  if (!everything) return absl::OkStatus();
  storage::ListFilter observations;
  observations.kind = v1::KIND_METRIC_OBSERVATION;
  observations.limit = SIZE_MAX;
  bool truncated = false;
  LDGS_ASSIGN_OR_RETURN(std::vector<storage::StoredEntry> all,
                        store_->List(observations, &truncated));
  for (const storage::StoredEntry& o : all) {
    dirty->emplace(o.record.metric_observation().metric(), o.record.metric_observation().period());
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Aggregator::RunOnce(int64_t now_us) {
  LDGS_ASSIGN_OR_RETURN(uint64_t cursor, store_->FeedCursor(kCursorName));
  std::set<Cell> dirty;
  while (true) {
    LDGS_ASSIGN_OR_RETURN(std::vector<storage::StoredEntry> entries,
                          store_->ReadSince(cursor, kFeedChunk));
    if (entries.empty()) break;
    for (const storage::StoredEntry& entry : entries)
      LDGS_RETURN_IF_ERROR(MarkDirty(entry, &dirty));
    cursor = entries.back().seq;
  }
  // A period's change depends on the one before: a touched cell touches the next one.
  std::set<Cell> with_next = dirty;
  for (const Cell& cell : dirty) with_next.emplace(cell.first, NextPeriod(cell.second));
  int written = 0;
  for (const Cell& cell : with_next) {
    LDGS_ASSIGN_OR_RETURN(int n, Recompute(cell, now_us));
    written += n;
  }
  // The cursor moves only after the cells are written: a crash in between recomputes them.
  LDGS_RETURN_IF_ERROR(
      store_->Apply({}, storage::StateChange().SetFeedCursor(kCursorName, cursor)).status());
  return written;
}

absl::StatusOr<int> Aggregator::Recompute(const Cell& cell, int64_t now_us) {
  const auto& [metric, period] = cell;
  bool truncated = false;

  // The rule comes from the metric's definition, wherever it was defined; sum without one.
  v1::MetricDefinition definition;
  definition.set_code(metric);
  definition.set_aggregation(v1::AGGREGATION_SUM);
  storage::ListFilter definitions;
  definitions.kind = v1::KIND_METRIC_DEFINITION;
  definitions.limit = SIZE_MAX;
  LDGS_ASSIGN_OR_RETURN(std::vector<storage::StoredEntry> defs,
                        store_->List(definitions, &truncated));
  for (const storage::StoredEntry& d : defs) {
    if (d.record.metric_definition().code() == metric) {
      definition = d.record.metric_definition();
      if (d.record.origin() == self_id_) break;  // our own catalogue wins
    }
  }

  // Only direct members count: observations of our chapters, contributions of our hubs.
  LDGS_ASSIGN_OR_RETURN(std::vector<v1::Enrollment> enrollments, state_->ListEnrollments());
  std::map<std::string, std::string> member_region;  // chapter members -> region
  std::set<std::string> members;
  for (const v1::Enrollment& e : enrollments) {
    if (e.revoked() || e.relation() != v1::RELATION_MEMBER) continue;
    members.insert(e.node_id());
    absl::StatusOr<storage::StoredEntry> profile = store_->Get(e.node_id(), "profile");
    if (profile.ok() && profile->record.has_node_profile() &&
        profile->record.node_profile().role() != v1::ROLE_HUB) {
      const std::string& region = profile->record.node_profile().region();
      member_region[e.node_id()] = region.empty() ? kNoRegion : region;
    }
  }

  auto gather = [&](const std::string& p) -> absl::StatusOr<PeriodInputs> {
    PeriodInputs in;
    for (const auto& [node, region] : member_region) ++in.expected[region];
    storage::ListFilter filter;
    filter.metric = metric;
    filter.period = p;
    filter.limit = SIZE_MAX;
    LDGS_ASSIGN_OR_RETURN(std::vector<storage::StoredEntry> entries,
                          store_->List(filter, &truncated));
    for (const storage::StoredEntry& e : entries) {
      const v1::Record& r = e.record;
      if (r.has_metric_observation() && member_region.count(r.origin())) {
        const std::string& own_region = r.metric_observation().region();
        const std::string region = own_region.empty() ? member_region[r.origin()] : own_region;
        const double value = r.metric_observation().value();
        in.values[region].push_back({value, r.updated_us(), MeetsTarget(definition, value)});
      } else if (r.has_rollup() && r.rollup().contribution() && members.count(r.origin()) &&
                 r.rollup().scope().rfind("region:", 0) == 0) {
        const std::string region = r.rollup().scope().substr(7);
        in.expected[region] += r.rollup().expected();
        for (double value : r.rollup().values()) {
          in.values[region].push_back({value, r.updated_us(), MeetsTarget(definition, value)});
        }
      }
    }
    return in;
  };
  LDGS_ASSIGN_OR_RETURN(PeriodInputs current, gather(period));
  const std::string previous_period = PreviousPeriod(period);
  LDGS_ASSIGN_OR_RETURN(PeriodInputs previous, gather(previous_period));
  if (current.values.empty()) return 0;  // nothing reported for this period (yet)

  int written = 0;
  auto write = [&](v1::Rollup rollup, v1::Visibility visibility) -> absl::Status {
    v1::Record body;
    *body.mutable_rollup() = std::move(rollup);
    const std::string id = std::string(body.rollup().contribution() ? "contrib:" : "rollup:") +
                           metric + ":" + period + ":" + IdPart(body.rollup().scope());
    absl::StatusOr<storage::StoredEntry> held = store_->Get(self_id_, id);
    if (held.ok() && !held->record.deleted() && held->record.visibility() == visibility &&
        SameRollup(held->record.rollup(), body.rollup())) {
      return absl::OkStatus();
    }
    LDGS_RETURN_IF_ERROR(writer_->Put(id, visibility, body).status());
    ++written;
    return absl::OkStatus();
  };
  auto publish = [&](const std::string& scope, const std::vector<ChapterValue>& now_values,
                     const std::vector<ChapterValue>& before_values, uint32_t expected) {
    RawStats stats = ComputeRawStats(now_values, definition.aggregation());
    std::optional<RawStats> before;
    if (!before_values.empty()) before = ComputeRawStats(before_values, definition.aggregation());
    v1::Rollup rollup = MakeRollup(definition, period, scope, stats, expected, previous_period,
                                   before, settings_, now_us);
    const v1::Visibility visibility =
        rollup.below_min_reporting() ? v1::VISIBILITY_HUB : v1::VISIBILITY_NETWORK;
    return write(std::move(rollup), visibility);
  };

  uint32_t expected_total = 0;
  for (const auto& [region, n] : current.expected) expected_total += n;
  LDGS_RETURN_IF_ERROR(
      publish(kNetworkScope, Flatten(current.values), Flatten(previous.values), expected_total));
  for (const auto& [region, values] : current.values) {
    LDGS_RETURN_IF_ERROR(
        publish("region:" + region, values, previous.values[region], current.expected[region]));
    if (has_hub_above_) {
      v1::Rollup contribution;
      contribution.set_metric(metric);
      contribution.set_period(period);
      contribution.set_scope("region:" + region);
      contribution.set_contribution(true);
      contribution.set_reporting(static_cast<uint32_t>(values.size()));
      contribution.set_expected(current.expected[region]);
      for (const ChapterValue& v : values) contribution.add_values(v.value);
      contribution.set_computed_us(now_us);
      LDGS_RETURN_IF_ERROR(write(std::move(contribution), v1::VISIBILITY_HUB));
    }
  }
  return written;
}

}  // namespace ldgs::daemon::hub

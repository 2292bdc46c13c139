#include "daemon/hub/works_aggregator.h"

#include <algorithm>
#include <map>

#include "common/status_macros.h"
#include "daemon/hub/disclosure.h"
#include "daemon/hub/members.h"
#include "daemon/hub/practice_forest.h"
#include "daemon/hub/works.h"
#include "record/record_validation.h"

namespace ldgs::daemon::hub {
namespace {

bool WithinBounds(const v1::MetricDefinition& d, double value) {
  return (!d.has_min_value() || value >= d.min_value()) &&
         (!d.has_max_value() || value <= d.max_value());
}

bool SameCell(v1::Rollup a, v1::Rollup b) {
  a.clear_computed_us();
  b.clear_computed_us();
  return a.SerializeAsString() == b.SerializeAsString();
}

// Observations of one metric by direct member chapters, read per period on demand.
class ValueBook {
 public:
  ValueBook(const storage::RecordStore* store, const Members* members,
            const v1::MetricDefinition* definition)
      : store_(store), members_(members), definition_(definition) {}

  absl::StatusOr<std::optional<double>> ValueOf(const std::string& node,
                                                const std::string& period) {
    auto at = periods_.find(period);
    if (at == periods_.end()) {
      std::map<std::string, double> values;
      storage::ListFilter filter;
      filter.metric = definition_->code();
      filter.period = period;
      const std::string id = "obs:" + definition_->code() + ":" + period;
      LDGS_RETURN_IF_ERROR(store_->Scan(filter, [&](const storage::StoredEntry& e,
                                                    std::string_view) {
        const v1::Record& r = e.record;
        if (r.id() == id && r.has_metric_observation() && members_->chapters.count(r.origin()) &&
            WithinBounds(*definition_, r.metric_observation().value())) {
          values[r.origin()] = r.metric_observation().value();
        }
        return true;
      }));
      at = periods_.emplace(period, std::move(values)).first;
    }
    auto value = at->second.find(node);
    if (value == at->second.end()) return std::optional<double>();
    return std::optional<double>(value->second);
  }

 private:
  const storage::RecordStore* store_;
  const Members* members_;
  const v1::MetricDefinition* definition_;
  std::map<std::string, std::map<std::string, double>> periods_;
};

}  // namespace

WorksAggregator::WorksAggregator(storage::RecordStore* records, storage::NodeState* state,
                                 storage::LocalWriter* writer, std::string self_id,
                                 RollupSettings settings, bool has_hub_above,
                                 std::function<std::vector<std::string>()> hub_chain,
                                 std::function<bool(const std::string&)> is_revoked)
    : store_(records),
      state_(state),
      writer_(writer),
      settings_(settings),
      has_hub_above_(has_hub_above),
      is_revoked_(std::move(is_revoked)) {
  sources_.store = records;
  sources_.state = state;
  sources_.self_id = std::move(self_id);
  sources_.hub_chain = std::move(hub_chain);
}

std::string WorksAggregator::StateMarker(const std::string& metric, const std::string& period,
                                         const std::string& practice_key) {
  return "works/" + metric + "/" + period + "/" + practice_key;
}

absl::StatusOr<std::vector<WorksAggregator::Metric>> WorksAggregator::MetricsToDecide() const {
  // The latest period of each metric this hub published a network figure for.
  std::map<std::string, std::string> latest;
  storage::ListFilter own;
  own.origin = sources_.self_id;
  own.kind = v1::KIND_ROLLUP;
  LDGS_RETURN_IF_ERROR(store_->Scan(own, [&](const storage::StoredEntry& e, std::string_view) {
    const v1::Rollup& r = e.record.rollup();
    if (e.record.deleted() || r.contribution() || r.has_practice() || r.scope() != kNetworkScope) {
      return true;
    }
    std::string& period = latest[r.metric()];
    if (r.period() > period) period = r.period();
    return true;
  }));
  std::vector<Metric> metrics;
  for (const auto& [code, period] : latest) {
    LDGS_ASSIGN_OR_RETURN(std::optional<v1::Record> definition, DefinitionOf(sources_, code));
    if (definition) metrics.push_back({*definition, period});
  }
  return metrics;
}

absl::StatusOr<int> WorksAggregator::RunOnce(int64_t now_us) {
  const uint64_t through = store_->LastSequence();
  if (ran_ && through == decided_through_) return 0;
  LDGS_ASSIGN_OR_RETURN(Members members, LoadMembers(*state_, is_revoked_));
  LDGS_ASSIGN_OR_RETURN(PracticeForest forest,
                        PracticeForest::Load(sources_, v1::AUDIENCE_OPERATOR));
  LDGS_ASSIGN_OR_RETURN(std::vector<Metric> metrics, MetricsToDecide());
  int written = 0;
  for (const Metric& metric : metrics) {
    const v1::MetricDefinition& definition = metric.definition.metric_definition();
    const std::string& period = metric.period;
    ValueBook values(store_, &members, &definition);
    for (const PracticeKey& root : forest.Originals()) {
      v1::RecordRef ref;
      ref.set_origin(root.first);
      ref.set_id(root.second);
      const std::string key = record::PracticeKey(ref);
      WorksInputs in;
      in.practice = ref;
      in.metric = definition.code();
      in.period = period;
      in.expected = static_cast<uint32_t>(members.chapters.size());
      // Direct adopters: member chapters that adopted it by `period`, with a value the
      // period before adopting and at `period`.
      std::string window_start;
      std::set<std::string> adopted;
      for (const auto& [node, adopted_in] : forest.AdoptersOf(root)) {
        if (!members.chapters.count(node) || adopted_in > period) continue;
        adopted.insert(node);
        const std::string base = PreviousPeriod(adopted_in);
        LDGS_ASSIGN_OR_RETURN(std::optional<double> before, values.ValueOf(node, base));
        LDGS_ASSIGN_OR_RETURN(std::optional<double> after, values.ValueOf(node, period));
        if (!before || !after || base >= period) continue;
        if (auto change = RelativeChange(*before, *after, definition.direction())) {
          in.adopters[node] = *change;
          if (window_start.empty() || base < window_start) window_start = base;
        }
      }
      // The others over the adopters' span: from the earliest base period to `period`.
      if (!window_start.empty()) {
        for (const auto& [node, region] : members.chapters) {
          if (adopted.count(node) || node == root.first) continue;
          LDGS_ASSIGN_OR_RETURN(std::optional<double> before, values.ValueOf(node, window_start));
          LDGS_ASSIGN_OR_RETURN(std::optional<double> after, values.ValueOf(node, period));
          if (!before || !after) continue;
          if (auto change = RelativeChange(*before, *after, definition.direction())) {
            in.others[node] = *change;
          }
        }
      }
      in.window_start = window_start;
      for (const auto& [hub, region] : members.hubs) {
        absl::StatusOr<storage::StoredEntry> held =
            store_->Get(hub, "works-contrib:" + definition.code() + ":" + period + ":" + key);
        if (!held.ok() || held->record.deleted()) continue;
        const v1::Rollup& sub = held->record.rollup();
        if (!sub.contribution() || sub.practice().origin() != ref.origin() ||
            sub.practice().id() != ref.id() || sub.withheld()) {
          continue;
        }
        in.subtrees.push_back({hub, held->record.version(), sub.reporting(), sub.others(),
                               sub.sum(), sub.others_sum(), sub.expected()});
        in.expected += sub.expected();
        if (in.window_start.empty() || sub.window_start() < in.window_start) {
          in.window_start = sub.window_start();
        }
      }
      v1::PublishedGroup previous;
      const bool has_previous = [&] {
        absl::StatusOr<std::string> saved =
            state_->GetMarker(StateMarker(definition.code(), period, key));
        return saved.ok() && previous.ParseFromString(*saved);
      }();
      // Nothing adopted below this hub, and nothing said before: no cell at all.
      if (adopted.empty() && in.subtrees.empty() && !has_previous) continue;
      WorksPublication decided = DecideWorks(in, has_previous ? &previous : nullptr,
                                             settings_.min_reporting, has_hub_above_, now_us);
      const v1::Record* practice = forest.Find(root);
      const bool is_public = metric.definition.visibility() == v1::VISIBILITY_PUBLIC && practice &&
                             practice->visibility() == v1::VISIBILITY_PUBLIC;
      std::vector<storage::PutItem> items;
      auto add = [&](const v1::Rollup& rollup, v1::Visibility visibility) {
        storage::PutItem item;
        item.visibility = visibility;
        *item.body.mutable_rollup() = rollup;
        item.id = *record::RequiredRecordId(item.body);
        absl::StatusOr<storage::StoredEntry> held = store_->Get(sources_.self_id, item.id);
        if (held.ok() && !held->record.deleted() && held->record.visibility() == visibility &&
            SameCell(held->record.rollup(), rollup)) {
          return;
        }
        items.push_back(std::move(item));
      };
      add(decided.cell, is_public ? v1::VISIBILITY_PUBLIC : v1::VISIBILITY_NETWORK);
      if (decided.contribution) add(*decided.contribution, v1::VISIBILITY_HUB);
      const std::string state = decided.state.SerializeAsString();
      if (items.empty() && has_previous && previous.SerializeAsString() == state) continue;
      written += static_cast<int>(items.size());
      LDGS_RETURN_IF_ERROR(
          writer_
              ->PutMany(std::move(items), storage::StateChange().SetMarker(
                                              StateMarker(definition.code(), period, key), state))
              .status());
    }
  }
  decided_through_ = through;
  ran_ = true;
  return written;
}

}  // namespace ldgs::daemon::hub

#include "daemon/hub/works_aggregator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "common/status_macros.h"
#include "daemon/hub/disclosure.h"
#include "daemon/hub/disclosure_audit.h"
#include "daemon/hub/members.h"
#include "daemon/hub/practice_forest.h"
#include "daemon/hub/works.h"
#include "record/record_validation.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon::hub {
namespace {

constexpr size_t kCellsPerBatch = 256;
// A contribution whose every counted part is public says so in its scope.
constexpr char kPublicSubtreeScope[] = "subtree:public";

bool WithinBounds(const v1::MetricDefinition& d, double value) {
  return (!d.has_min_value() || value >= d.min_value()) &&
         (!d.has_max_value() || value <= d.max_value());
}

// Names what a change was measured from, as one audit unknown: a new observation version
// at either end is a new unknown (and the audit checks corrections between them).
uint64_t MeasureOf(const std::string& base, uint64_t before_version, uint64_t after_version) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  auto mix = [&h](uint64_t x) {
    for (int i = 0; i < 8; ++i) {
      h ^= (x >> (8 * i)) & 0xff;
      h *= 1099511628211ULL;
    }
  };
  for (char c : base) mix(static_cast<unsigned char>(c));
  mix(before_version);
  mix(after_version);
  return h;
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

  struct Value {
    double value = 0;
    uint64_t version = 0;
  };
  absl::StatusOr<std::optional<Value>> ValueOf(const std::string& node, const std::string& period) {
    auto at = periods_.find(period);
    if (at == periods_.end()) {
      std::map<std::string, Value> values;
      storage::ListFilter filter;
      filter.metric = definition_->code();
      filter.period = period;
      const std::string id = "obs:" + definition_->code() + ":" + period;
      LDGS_RETURN_IF_ERROR(store_->Scan(filter, [&](const storage::StoredEntry& e,
                                                    std::string_view) {
        const v1::Record& r = e.record;
        if (r.id() == id && r.has_metric_observation() && members_->chapters.count(r.origin()) &&
            WithinBounds(*definition_, r.metric_observation().value())) {
          values[r.origin()] = {r.metric_observation().value(), r.version()};
        }
        return true;
      }));
      at = periods_.emplace(period, std::move(values)).first;
    }
    auto value = at->second.find(node);
    if (value == at->second.end()) return std::optional<Value>();
    return std::optional<Value>(value->second);
  }

 private:
  const storage::RecordStore* store_;
  const Members* members_;
  const v1::MetricDefinition* definition_;
  std::map<std::string, std::map<std::string, Value>> periods_;
};

}  // namespace

WorksAggregator::WorksAggregator(storage::RecordStore* records, storage::NodeState* state,
                                 storage::LocalWriter* writer, std::string self_id,
                                 RollupSettings settings, bool has_hub_above,
                                 std::function<std::vector<std::string>()> hub_chain,
                                 std::function<bool(const std::string&)> is_revoked,
                                 PracticeCache* practices)
    : store_(records),
      state_(state),
      writer_(writer),
      settings_(settings),
      has_hub_above_(has_hub_above),
      is_revoked_(std::move(is_revoked)),
      practices_(practices) {
  sources_.store = records;
  sources_.state = state;
  sources_.self_id = std::move(self_id);
  sources_.hub_chain = std::move(hub_chain);
}

std::string WorksAggregator::AuditMarker(const std::string& metric, const std::string& period) {
  return "works-audit/" + metric + "/" + period;
}

std::string WorksAggregator::StateMarker(const std::string& metric, const std::string& period,
                                         const std::string& practice_key) {
  return "works/" + metric + "/" + period + "/" + practice_key;
}

absl::StatusOr<std::vector<WorksAggregator::Metric>> WorksAggregator::MetricsToDecide(
    std::set<std::string>* held_cells) const {
  // The latest period of each metric this hub published a network figure for, and the
  // what's-working cells it holds.
  std::map<std::string, std::string> latest;
  storage::ListFilter own;
  own.origin = sources_.self_id;
  own.kind = v1::KIND_ROLLUP;
  LDGS_RETURN_IF_ERROR(store_->Scan(own, [&](const storage::StoredEntry& e, std::string_view) {
    const v1::Rollup& r = e.record.rollup();
    if (!e.record.deleted() && r.has_practice() && !r.contribution()) {
      held_cells->insert(e.record.id());
    }
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

absl::StatusOr<std::shared_ptr<const PracticeForest>> WorksAggregator::ForestFor(
    v1::Audience audience) const {
  if (practices_) return practices_->Forest(audience);
  LDGS_ASSIGN_OR_RETURN(PracticeForest loaded, PracticeForest::Load(sources_, audience));
  return std::make_shared<const PracticeForest>(std::move(loaded));
}

absl::StatusOr<int> WorksAggregator::RunOnce(int64_t now_us) {
  const uint64_t through = store_->LastSequence();
  LDGS_ASSIGN_OR_RETURN(Members members, LoadMembers(*state_, is_revoked_));
  // Nothing new in the store and nobody enrolled or revoked: the cells stand.
  if (ran_ && through == decided_through_ && members.Fingerprint() == decided_members_) return 0;
  LDGS_ASSIGN_OR_RETURN(std::shared_ptr<const PracticeForest> all,
                        ForestFor(v1::AUDIENCE_OPERATOR));
  LDGS_ASSIGN_OR_RETURN(std::shared_ptr<const PracticeForest> open, ForestFor(v1::AUDIENCE_PUBLIC));
  const PracticeForest& forest = *all;
  std::set<std::string> held_cells;
  LDGS_ASSIGN_OR_RETURN(std::vector<Metric> metrics, MetricsToDecide(&held_cells));
  const size_t m = std::max<uint32_t>(settings_.min_reporting, 1);
  // Cells are written in batches: one synced write per many cells, not per cell.
  std::vector<storage::PutItem> items;
  storage::StateChange states;
  size_t staged = 0;
  int written = 0;
  auto flush = [&]() -> absl::Status {
    if (staged == 0) return absl::OkStatus();
    written += static_cast<int>(items.size());
    LDGS_RETURN_IF_ERROR(writer_->PutMany(std::move(items), states).status());
    items.clear();
    states = storage::StateChange();
    staged = 0;
    return absl::OkStatus();
  };
  for (const Metric& metric : metrics) {
    const v1::MetricDefinition& definition = metric.definition.metric_definition();
    const std::string& period = metric.period;
    ValueBook values(store_, &members, &definition);
    // Every what's-working figure of (metric, period) this hub published, as the audit's
    // equations: a new figure goes out only if, with all of them, no chapter's change
    // (nor a correction of one) can be worked out, by the public or by any member.
    const std::string audit_marker = AuditMarker(definition.code(), period);
    v1::PublishedGroup audit;
    if (absl::StatusOr<std::string> saved = state_->GetMarker(audit_marker); saved.ok()) {
      if (!audit.ParseFromString(*saved)) return absl::DataLossError("corrupt works audit");
      LDGS_RETURN_IF_ERROR(ValidateAuditHistory(audit));
    }
    AuditLimits limits;
    limits.min_reporting = static_cast<uint32_t>(m);
    bool audit_changed = false;
    const ChangeBounds bounds = BoundsOf(definition);
    limits.min_value = bounds.min;
    limits.max_value = bounds.max;
    auto admit = [&](const Part& adopters, const Part& others) {
      if (RevealsABound(adopters, bounds) || RevealsABound(others, bounds)) return false;
      std::vector<AuditCell> cells(2);
      for (auto [part, cell] : {std::pair{&adopters, &cells[0]}, std::pair{&others, &cells[1]}}) {
        cell->published = true;
        for (const auto& [node, c] : *part) {
          cell->unknowns.emplace_back(node, c.measure);
          cell->sum += c.change;
        }
      }
      if (!AuditAdmits(audit, cells, limits)) return false;
      AuditRecord(cells, &audit);
      audit_changed = true;
      return true;
    };
    for (const PracticeKey& root : forest.Originals()) {
      if (cancelled_) {
        // What was decided goes out with the audit that let it out, as at any batch's end.
        if (staged > 0) states.SetMarker(audit_marker, audit.SerializeAsString());
        LDGS_RETURN_IF_ERROR(flush());
        return absl::CancelledError("what's working stopped: the node is stopping");
      }
      v1::RecordRef ref;
      ref.set_origin(root.first);
      ref.set_id(root.second);
      const std::string key = record::PracticeKey(ref);
      const std::string cell_id = "works:" + definition.code() + ":" + period + ":" + key;
      const std::map<std::string, std::string> adopters = forest.AdoptersOf(root);
      std::set<std::string> adopted;
      for (const auto& [node, adopted_in] : adopters) {
        if (members.chapters.count(node) && adopted_in <= period) adopted.insert(node);
      }
      std::vector<SubtreeWorks> subtrees;
      bool subtrees_public = true;
      for (const auto& [hub, region] : members.hubs) {
        absl::StatusOr<storage::StoredEntry> held =
            store_->Get(hub, "works-contrib:" + definition.code() + ":" + period + ":" + key);
        if (!held.ok() || held->record.deleted()) continue;
        const v1::Rollup& sub = held->record.rollup();
        if (!sub.contribution() || sub.practice().origin() != ref.origin() ||
            sub.practice().id() != ref.id() || sub.withheld()) {
          continue;
        }
        // A member hub's claim is bounded: no change beyond what a chapter can have, and
        // no more chapters than its own subtree figure of the metric reports.
        absl::StatusOr<storage::StoredEntry> subtree_figure =
            store_->Get(hub, "contrib:" + definition.code() + ":" + period);
        const uint64_t compared = static_cast<uint64_t>(sub.reporting()) + sub.others();
        if (!subtree_figure.ok() || subtree_figure->record.deleted() ||
            compared > subtree_figure->record.rollup().reporting() ||
            std::fabs(sub.sum()) > kMaxChange * sub.reporting() ||
            std::fabs(sub.others_sum()) > kMaxChange * sub.others()) {
          continue;
        }
        subtrees.push_back({hub, held->record.version(), sub.reporting(), sub.others(), sub.sum(),
                            sub.others_sum(), sub.expected(), sub.window_start()});
        // The hub below says whether everything its figure counts is public (its own cell
        // never comes up the tree, so it says it in the contribution's scope).
        subtrees_public = subtrees_public && sub.scope() == kPublicSubtreeScope;
      }
      // Too few adopters here and nothing from below: there is nothing to say, unless a
      // figure said earlier must now be withheld.
      if (adopted.size() < m && subtrees.empty() && !held_cells.count(cell_id)) continue;

      WorksInputs in;
      in.practice = ref;
      in.metric = definition.code();
      in.period = period;
      in.expected = static_cast<uint32_t>(members.chapters.size());
      // The span starts at the earliest adopter's base period: from who adopted when, never
      // from who has values (that would tell who has none).
      std::string window_start;
      for (const std::string& node : adopted) {
        const std::string base = PreviousPeriod(adopters.at(node));
        if (window_start.empty() || base < window_start) window_start = base;
      }
      // A chapter with both values but no change to give (its base is 0) would drop out of
      // its group and so tell that its value was 0: then the direct part is not published.
      bool measurable = true;
      auto measure = [&](const std::string& node, const std::string& base,
                         Part* into) -> absl::Status {
        LDGS_ASSIGN_OR_RETURN(auto before, values.ValueOf(node, base));
        LDGS_ASSIGN_OR_RETURN(auto after, values.ValueOf(node, period));
        if (!before || !after || base >= period) return absl::OkStatus();
        if (auto change = RelativeChange(before->value, after->value, definition.direction())) {
          (*into)[node] = {*change, MeasureOf(base, before->version, after->version)};
        } else {
          measurable = false;
        }
        return absl::OkStatus();
      };
      // Adopters from the period before each adopted it; the others over the whole span.
      for (const std::string& node : adopted) {
        LDGS_RETURN_IF_ERROR(measure(node, PreviousPeriod(adopters.at(node)), &in.adopters));
      }
      if (!window_start.empty()) {
        for (const auto& [node, region] : members.chapters) {
          if (adopted.count(node) || node == root.first) continue;
          LDGS_RETURN_IF_ERROR(measure(node, window_start, &in.others));
        }
      }
      if (!measurable) {
        in.adopters.clear();
        in.others.clear();
      }
      in.window_start = window_start;
      for (const SubtreeWorks& sub : subtrees) {
        // Never past the bound every record keeps (a million chapters).
        in.expected = static_cast<uint32_t>(
            std::min<uint64_t>(static_cast<uint64_t>(in.expected) + sub.expected, 1000000));
        if (in.window_start.empty() || sub.window_start < in.window_start) {
          in.window_start = sub.window_start;
        }
      }
      in.subtrees = std::move(subtrees);
      v1::PublishedGroup previous;
      absl::StatusOr<std::string> saved =
          state_->GetMarker(StateMarker(definition.code(), period, key));
      const bool has_previous = saved.ok() && previous.ParseFromString(*saved);
      WorksPublication decided =
          DecideWorks(in, has_previous ? &previous : nullptr, settings_.min_reporting,
                      has_hub_above_, now_us, admit);
      if (decided.cell.withheld() && !held_cells.count(cell_id)) continue;
      // Public only when everything it counts is public: the metric, the practice, every
      // adaptation counted here and every subtree's own figure.
      bool is_public = metric.definition.visibility() == v1::VISIBILITY_PUBLIC &&
                       open->Find(root) != nullptr && subtrees_public;
      // The adopters the published figure counts (its state's: a figure that stood is the
      // earlier one), each by a public adaptation of the same period.
      const std::map<std::string, std::string> open_adopters = open->AdoptersOf(root);
      for (const auto& c : decided.state.contributors()) {
        if (c.subtree() || c.node_id().empty()) continue;
        auto it = open_adopters.find(c.node_id());
        auto all_it = adopters.find(c.node_id());
        is_public = is_public && it != open_adopters.end() && all_it != adopters.end() &&
                    it->second == all_it->second;
      }
      if (decided.contribution && is_public) decided.contribution->set_scope(kPublicSubtreeScope);
      bool valid = true;
      auto add = [&](const v1::Rollup& rollup, v1::Visibility visibility) {
        storage::PutItem item;
        item.visibility = visibility;
        *item.body.mutable_rollup() = rollup;
        item.id = *record::RequiredRecordId(item.body);
        // One bad cell (say, a subtree's odd claim) is skipped, not the whole batch.
        if (absl::Status ok = record::ValidateBody(item.body, record::RecordLimits()); !ok.ok()) {
          spdlog::warn("what's working: cell {} not written: {}", item.id, ok.ToString());
          valid = false;
          return;
        }
        absl::StatusOr<storage::StoredEntry> held = store_->Get(sources_.self_id, item.id);
        if (held.ok() && !held->record.deleted() && held->record.visibility() == visibility &&
            SameCell(held->record.rollup(), rollup)) {
          return;
        }
        items.push_back(std::move(item));
      };
      const size_t before_items = items.size();
      add(decided.cell, is_public ? v1::VISIBILITY_PUBLIC : v1::VISIBILITY_NETWORK);
      if (decided.contribution) add(*decided.contribution, v1::VISIBILITY_HUB);
      if (!valid) {
        items.resize(before_items);
        continue;
      }
      const std::string state = decided.state.SerializeAsString();
      if (items.size() == before_items && has_previous && previous.SerializeAsString() == state) {
        continue;
      }
      // A cell, its contribution, its state and the audit that let it out go in one batch.
      states.SetMarker(StateMarker(definition.code(), period, key), state);
      if (++staged >= kCellsPerBatch) {
        states.SetMarker(audit_marker, audit.SerializeAsString());
        LDGS_RETURN_IF_ERROR(flush());
      }
    }
    if (staged > 0 || audit_changed) {
      states.SetMarker(audit_marker, audit.SerializeAsString());
      ++staged;
      LDGS_RETURN_IF_ERROR(flush());
    }
  }
  decided_through_ = through;
  decided_members_ = members.Fingerprint();
  ran_ = true;
  return written;
}

}  // namespace ldgs::daemon::hub

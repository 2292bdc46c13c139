#include "daemon/hub/practice_ranking.h"

#include <algorithm>

#include "common/status_macros.h"
#include "daemon/hub/audience.h"
#include "record/record_validation.h"

namespace ldgs::daemon::hub {
namespace {

constexpr uint32_t kDefaultLimit = 20;
constexpr uint32_t kMaxLimit = 200;
constexpr size_t kMaxTreeNodes = 500;

v1::OutcomeFigure FigureOf(const v1::Record& cell) {
  const v1::Rollup& r = cell.rollup();
  v1::OutcomeFigure f;
  f.set_metric(r.metric());
  f.set_period(r.period());
  f.set_hub(cell.origin());
  f.set_withheld(r.withheld());
  f.set_withheld_reason(r.withheld_reason());
  f.set_adopters(r.reporting());
  f.set_others(r.others());
  if (!r.withheld() && r.has_mean()) f.set_adopters_change(r.mean());
  if (!r.withheld() && r.has_others_mean()) f.set_others_change(r.others_mean());
  return f;
}

}  // namespace

std::optional<double> Improvement(const v1::OutcomeFigure& figure) {
  if (figure.withheld() || !figure.has_adopters_change() || !figure.has_others_change()) {
    return std::nullopt;
  }
  return figure.adopters_change() - figure.others_change();
}

absl::StatusOr<std::string> RankingMetric(const LearningSources& sources, const std::string& asked,
                                          v1::Audience audience) {
  if (!asked.empty()) return asked;
  LDGS_ASSIGN_OR_RETURN(std::optional<v1::Record> preferred,
                        DefinitionOf(sources, "actively_homeless"));
  if (preferred && VisibleTo(*preferred, audience)) return std::string("actively_homeless");
  std::string first;
  const std::vector<std::string> authorities = Authorities(sources);
  LDGS_RETURN_IF_ERROR(
      ForEachVisible(sources, v1::KIND_METRIC_DEFINITION, audience, [&](const v1::Record& r) {
        if (r.deleted() || !r.has_metric_definition()) return true;
        if (std::find(authorities.begin(), authorities.end(), r.origin()) == authorities.end()) {
          return true;
        }
        if (first.empty() || r.metric_definition().code() < first) {
          first = r.metric_definition().code();
        }
        return true;
      }));
  return first;
}

absl::StatusOr<std::map<std::string, v1::OutcomeFigure>> PublishedOutcomes(
    const LearningSources& sources, const std::string& metric, v1::Audience audience) {
  // Widest first: the highest hub's figure pools the most chapters.
  std::vector<std::string> authorities = Authorities(sources);
  std::reverse(authorities.begin(), authorities.end());
  std::map<std::string, v1::OutcomeFigure> chosen;
  for (const std::string& hub : authorities) {
    std::map<std::string, const v1::Record*> latest;
    std::vector<v1::Record> cells;
    storage::ListFilter filter;
    filter.origin = hub;
    filter.id_prefix = "works:" + metric + ":";  // this metric's cells only, read in place
    filter.kind = v1::KIND_ROLLUP;
    LDGS_RETURN_IF_ERROR(
        sources.store->Scan(filter, [&](const storage::StoredEntry& e, std::string_view) {
          const v1::Record& r = e.record;
          if (r.deleted() || !r.rollup().has_practice() || r.rollup().contribution() ||
              r.rollup().metric() != metric || !VisibleTo(r, audience)) {
            return true;
          }
          cells.push_back(r);
          return true;
        }));
    for (const v1::Record& cell : cells) {
      const std::string key = record::PracticeKey(cell.rollup().practice());
      const v1::Record*& held = latest[key];
      if (!held || cell.rollup().period() > held->rollup().period()) held = &cell;
    }
    for (const auto& [key, cell] : latest) {
      v1::OutcomeFigure figure = FigureOf(*cell);
      auto it = chosen.find(key);
      if (it == chosen.end()) {
        chosen.emplace(key, figure);
      } else if (it->second.withheld() && !figure.withheld()) {
        it->second = figure;
      }
    }
  }
  return chosen;
}

absl::StatusOr<v1::RankPracticesResponse> RankPractices(const LearningSources& sources,
                                                        const PracticeForest& forest,
                                                        const v1::RankPracticesRequest& request) {
  if (request.limit() > kMaxLimit) {
    return absl::InvalidArgumentError("limit must be at most " + std::to_string(kMaxLimit));
  }
  if (!v1::RankOrder_IsValid(request.order())) {
    return absl::InvalidArgumentError("unknown ranking order");
  }
  v1::RankPracticesResponse response;
  LDGS_ASSIGN_OR_RETURN(std::string metric,
                        RankingMetric(sources, request.metric(), request.audience()));
  response.set_metric(metric);
  std::map<std::string, v1::OutcomeFigure> outcomes;
  if (!metric.empty()) {
    LDGS_ASSIGN_OR_RETURN(outcomes, PublishedOutcomes(sources, metric, request.audience()));
  }
  // Counted without the records; only the ranks answered get theirs.
  std::vector<v1::PracticeStanding> standings;
  std::vector<PracticeKey> roots = forest.Originals();
  for (const PracticeKey& root : roots) {
    v1::PracticeStanding standing = forest.Tally(root, /*with_record=*/false);
    standing.mutable_practice()->set_origin(root.first);
    standing.mutable_practice()->set_id(root.second);
    standing.mutable_practice()->mutable_practice()->set_title(
        forest.Find(root)->practice().title());
    v1::RecordRef ref;
    ref.set_origin(root.first);
    ref.set_id(root.second);
    auto figure = outcomes.find(record::PracticeKey(ref));
    if (figure != outcomes.end()) *standing.mutable_outcome() = figure->second;
    standings.push_back(std::move(standing));
  }
  const bool by_outcome = request.order() == v1::RANK_ORDER_OUTCOME;
  auto improvement = [](const v1::PracticeStanding& s) {
    return s.has_outcome() ? Improvement(s.outcome()) : std::nullopt;
  };
  std::stable_sort(standings.begin(), standings.end(),
                   [&](const v1::PracticeStanding& a, const v1::PracticeStanding& b) {
                     const std::optional<double> ia = improvement(a), ib = improvement(b);
                     if (by_outcome && ia.has_value() != ib.has_value()) return ia.has_value();
                     if (by_outcome && ia && *ia != *ib) return *ia > *ib;
                     if (a.adoptions() != b.adoptions()) return a.adoptions() > b.adoptions();
                     if (ia.has_value() != ib.has_value()) return ia.has_value();
                     if (ia && *ia != *ib) return *ia > *ib;
                     return a.practice().practice().title() < b.practice().practice().title();
                   });
  const uint32_t limit = request.limit() == 0 ? kDefaultLimit : request.limit();
  for (v1::PracticeStanding& s : standings) {
    if (static_cast<uint32_t>(response.practices_size()) == limit) break;
    *s.mutable_practice() = *forest.Find({s.practice().origin(), s.practice().id()});
    *response.add_practices() = std::move(s);
  }
  return response;
}

namespace {

void Grow(const PracticeForest& forest, const PracticeKey& key, RegionBook& regions, int depth,
          size_t* nodes, bool* truncated, v1::ProvenanceNode* out) {
  *out->mutable_practice() = *forest.Find(key);
  out->set_region(regions.RegionOf(key.first));
  ++*nodes;
  for (const PracticeKey& child : forest.AdaptationsOf(key)) {
    if (depth >= PracticeForest::kMaxDepth || *nodes >= kMaxTreeNodes) {
      *truncated = true;
      return;
    }
    Grow(forest, child, regions, depth + 1, nodes, truncated, out->add_adaptations());
  }
}

}  // namespace

absl::StatusOr<v1::ProvenanceResponse> Provenance(const LearningSources& sources,
                                                  const PracticeForest& forest,
                                                  const v1::ProvenanceRequest& request) {
  const PracticeKey asked = {request.practice().origin(), request.practice().id()};
  if (!forest.Find(asked)) return absl::NotFoundError("no such practice here");
  std::optional<PracticeKey> root = forest.RootOf(asked);
  if (!root) {
    return absl::NotFoundError("the practice it was adapted from is not held here");
  }
  v1::ProvenanceResponse response;
  RegionBook regions(sources);
  size_t nodes = 0;
  bool truncated = false;
  Grow(forest, *root, regions, 0, &nodes, &truncated, response.mutable_root());
  response.set_truncated(truncated);
  *response.mutable_standing() = forest.Tally(*root);
  LDGS_ASSIGN_OR_RETURN(std::string metric,
                        RankingMetric(sources, request.metric(), request.audience()));
  if (!metric.empty()) {
    LDGS_ASSIGN_OR_RETURN(auto outcomes, PublishedOutcomes(sources, metric, request.audience()));
    v1::RecordRef ref;
    ref.set_origin(root->first);
    ref.set_id(root->second);
    auto figure = outcomes.find(record::PracticeKey(ref));
    if (figure != outcomes.end()) *response.mutable_standing()->mutable_outcome() = figure->second;
  }
  return response;
}

}  // namespace ldgs::daemon::hub

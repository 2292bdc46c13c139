#include "daemon/hub/network_report.h"

#include <algorithm>
#include <map>

#include "common/status_macros.h"
#include "daemon/hub/audience.h"
#include "daemon/hub/disclosure.h"
#include "daemon/hub/practice_ranking.h"

namespace ldgs::daemon::hub {
namespace {

constexpr uint32_t kDefaultTop = 10;
constexpr uint32_t kMaxTop = 200;

// Whose figures the report shows: this node's own when it publishes any, else its nearest
// hub's (a chapter's page shows its hub's report).
absl::StatusOr<std::string> Publisher(const LearningSources& sources) {
  for (const std::string& origin : Authorities(sources)) {
    storage::ListFilter filter;
    filter.origin = origin;
    filter.kind = v1::KIND_ROLLUP;
    filter.limit = 1;
    bool truncated = false;
    LDGS_ASSIGN_OR_RETURN(std::vector<storage::StoredEntry> some,
                          sources.store->List(filter, &truncated));
    if (!some.empty()) return origin;
  }
  return sources.self_id;
}

}  // namespace

absl::StatusOr<v1::NetworkReport> BuildReport(const LearningSources& sources,
                                              const PracticeForest& forest, uint32_t stories,
                                              const v1::ReportRequest& request, int64_t now_us) {
  if (request.top() > kMaxTop) {
    return absl::InvalidArgumentError("top must be at most " + std::to_string(kMaxTop));
  }
  const v1::Audience audience = Normalized(request.audience());
  v1::NetworkReport report;
  report.set_audience(audience);
  report.set_generated_us(now_us);
  LDGS_ASSIGN_OR_RETURN(const std::string publisher, Publisher(sources));
  report.set_hub_id(publisher);
  absl::StatusOr<storage::StoredEntry> profile = sources.store->Get(publisher, "profile");
  if (profile.ok() && profile->record.has_node_profile()) {
    report.set_hub_name(profile->record.node_profile().name());
  }
  // Chapters are the members enrolled (not revoked), or as many as the widest figure expects.
  uint32_t chapters = 0;
  if (publisher == sources.self_id && sources.state) {
    LDGS_ASSIGN_OR_RETURN(std::vector<v1::Enrollment> enrollments,
                          sources.state->ListEnrollments());
    for (const v1::Enrollment& e : enrollments) {
      if (e.relation() == v1::RELATION_MEMBER && !e.revoked()) ++chapters;
    }
  }
  const uint32_t practices = static_cast<uint32_t>(forest.Originals().size());
  report.set_practices(practices);
  report.set_stories(stories);

  // The publisher's cells by metric, scope and period (key order sorts the periods).
  std::map<std::string, std::map<std::string, std::map<std::string, v1::Rollup>>> cells;
  storage::ListFilter filter;
  filter.origin = publisher;
  filter.id_prefix = "rollup:";  // published cells only, read in place
  filter.kind = v1::KIND_ROLLUP;
  LDGS_RETURN_IF_ERROR(
      sources.store->Scan(filter, [&](const storage::StoredEntry& e, std::string_view) {
        const v1::Record& r = e.record;
        if (r.deleted() || r.rollup().contribution() || r.rollup().has_practice() ||
            !VisibleTo(r, audience)) {
          return true;
        }
        cells[r.rollup().metric()][r.rollup().scope()][r.rollup().period()] = r.rollup();
        return true;
      }));
  for (auto& [metric, scopes] : cells) {
    auto network = scopes.find(kNetworkScope);
    if (network == scopes.end()) continue;
    v1::MetricReport* m = report.add_metrics();
    LDGS_ASSIGN_OR_RETURN(std::optional<v1::Record> definition, DefinitionOf(sources, metric));
    if (definition && VisibleTo(*definition, audience)) {
      *m->mutable_definition() = definition->metric_definition();
    } else {
      m->mutable_definition()->set_code(metric);
    }
    for (auto& [period, rollup] : network->second) *m->add_network() = rollup;
    chapters = std::max(chapters, m->network().rbegin()->expected());
    for (auto& [scope, periods] : scopes) {
      if (scope.rfind("region:", 0) != 0) continue;
      v1::RegionSeries* series = m->add_regions();
      series->set_region(scope.substr(7));
      for (auto& [period, rollup] : periods) *series->add_rollups() = rollup;
    }
  }
  report.set_chapters(chapters);

  v1::RankPracticesRequest rank;
  rank.set_audience(audience);
  rank.set_limit(request.top() == 0 ? kDefaultTop : request.top());
  LDGS_ASSIGN_OR_RETURN(v1::RankPracticesResponse ranked, RankPractices(sources, forest, rank));
  report.set_ranking_metric(ranked.metric());
  for (v1::PracticeStanding& s : *ranked.mutable_practices()) {
    *report.add_top_practices() = std::move(s);
  }
  return report;
}

}  // namespace ldgs::daemon::hub

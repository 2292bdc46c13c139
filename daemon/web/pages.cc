#include "daemon/web/pages.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <utility>

#include "daemon/web/chart_svg.h"
#include "daemon/web/format.h"
#include "daemon/web/html.h"

namespace ldgs::daemon::web {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

constexpr size_t kExcerptChars = 300;
// Browsers flatten HTML nested past a few hundred elements; a tree deeper than this is
// cut, and says so.
constexpr int kMaxTreeDepth = 32;
constexpr size_t kMaxMissingShown = 24;
constexpr uint32_t kDefaultLimit = 20, kMaxLimit = 200;  // as SearchCatalogueRequest

// ---- Small pieces every page uses ----

// A URL with its parameters encoded, escaped for an attribute (the & between them).
std::string Href(std::string_view path, const Params& params) {
  std::string url(path);
  for (size_t i = 0; i < params.size(); ++i) {
    url.append(i == 0 ? "?" : "&").append(UrlEncode(params[i].first));
    url.append("=").append(UrlEncode(params[i].second));
  }
  return Escape(url);
}

std::string PracticeHref(const std::string& origin, const std::string& id) {
  return Href("/practice", {{"origin", origin}, {"id", id}});
}

std::string Title(const std::string& title) { return title.empty() ? "(untitled)" : Escape(title); }

std::string MetricName(const v1::MetricDefinition& d) {
  return d.name().empty() ? d.code() : d.name();
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& items,
                   std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out.append(separator);
    out.append(item);
  }
  return out;
}

std::string Counted(uint64_t n, const char* one, const char* many) {
  return std::to_string(n).append(" ").append(n == 1 ? one : many);
}

struct Column {
  const char* label;
  bool fig;
};

void OpenTable(std::string& out, std::initializer_list<Column> columns) {
  out.append("<div class=\"scroll\"><table><thead><tr>");
  for (const Column& c : columns) {
    out.append(c.fig ? "<th scope=\"col\" class=\"fig\">" : "<th scope=\"col\">");
    out.append(c.label).append("</th>");
  }
  out.append("</tr></thead><tbody>");
}

void CloseTable(std::string& out) { out.append("</tbody></table></div>"); }

void AppendTextCell(std::string& out, std::string_view text) {
  out.append("<td class=\"text\">").append(text.empty() ? "-" : Escape(text)).append("</td>");
}

void AppendCountCell(std::string& out, std::string_view field, uint64_t n) {
  out.append("<td class=\"fig\" data-field=\"").append(field).append("\">");
  out.append(std::to_string(n)).append("</td>");
}

// One field of a published Rollup as a cell: the figure, or why there is none. A withheld
// cell never prints a figure, whatever the record carries.
void AppendFigureCell(std::string& out, const v1::Rollup& r, std::string_view field,
                      std::string_view data_field, bool show_sign = false) {
  const Figure figure = RollupField(r, field);
  out.append("<td class=\"fig");
  switch (figure.state) {
    case FieldState::kWithheld:
      out.append(" withheld\" data-field=\"").append(data_field).append("\" title=\"");
      out.append(Escape(r.withheld_reason().empty() ? "withheld" : r.withheld_reason()));
      out.append("\">withheld</td>");
      return;
    case FieldState::kSuppressed:
      out.append(" suppressed\" data-field=\"").append(data_field).append("\">suppressed</td>");
      return;
    case FieldState::kUnset:
      out.append("\" data-field=\"").append(data_field).append("\">-</td>");
      return;
    case FieldState::kPublished:
      out.append("\" data-field=\"").append(data_field).append("\" data-value=\"");
      out.append(ExactNumber(figure.value)).append("\">");
      out.append(show_sign ? SignedNumber(figure.value) : Number(figure.value)).append("</td>");
      return;
  }
}

// "What's working" for one practice: adopters' mean change against others', or why not.
void AppendOutcomeCell(std::string& out, const v1::PracticeStanding& standing) {
  const v1::OutcomeFigure& f = standing.outcome();
  if (standing.has_outcome() && f.withheld()) {
    const std::string reason = f.withheld_reason().empty() ? "withheld" : f.withheld_reason();
    out.append("<td class=\"fig withheld\" data-field=\"outcome\" title=\"");
    out.append(Escape(reason)).append("\">withheld");
    if (!f.withheld_reason().empty()) out.append(": ").append(Escape(f.withheld_reason()));
    out.append("</td>");
    return;
  }
  if (!standing.has_outcome() || !f.has_adopters_change() || !f.has_others_change()) {
    out.append("<td class=\"fig muted\" data-field=\"outcome\">no figure yet</td>");
    return;
  }
  out.append("<td class=\"fig\" data-field=\"outcome\" data-adopters-change=\"");
  out.append(ExactNumber(f.adopters_change())).append("\" data-others-change=\"");
  out.append(ExactNumber(f.others_change())).append("\"");
  if (!f.metric().empty()) {
    std::string title = "change in ";
    title.append(f.metric());
    if (!f.period().empty()) title.append(" to ").append(f.period());
    out.append(" title=\"").append(Escape(title)).append("\"");
  }
  out.append(">").append(SignedPercent(f.adopters_change())).append(" vs ");
  out.append(SignedPercent(f.others_change())).append(" <span class=\"muted\">(n=");
  out.append(std::to_string(f.adopters())).append(" vs ").append(std::to_string(f.others()));
  out.append(")</span></td>");
}

// ---- Overview ----

void AppendCounts(std::string& out, const v1::NetworkReport& report) {
  const std::pair<const char*, uint32_t> counts[] = {{"chapters", report.chapters()},
                                                     {"practices", report.practices()},
                                                     {"stories", report.stories()}};
  out.append("<ul class=\"counts\">");
  for (const auto& [name, n] : counts) {
    out.append("<li><strong data-field=\"").append(name).append("\">");
    out.append(std::to_string(n)).append("</strong>").append(name).append("</li>");
  }
  out.append("</ul>");
}

std::string LatestPeriod(const v1::MetricReport& m) {
  std::string latest;
  for (const v1::Rollup& r : m.network()) latest = std::max(latest, r.period());
  if (!latest.empty()) return latest;
  for (const v1::RegionSeries& s : m.regions()) {
    for (const v1::Rollup& r : s.rollups()) latest = std::max(latest, r.period());
  }
  return latest;
}

void AppendScopeRow(std::string& out, std::string_view label, std::string_view scope,
                    const v1::Rollup& r) {
  out.append("<tr data-scope=\"").append(Escape(scope)).append("\"><th scope=\"row\">");
  out.append(Escape(label)).append("</th>");
  AppendFigureCell(out, r, "reporting", "reporting");
  AppendCountCell(out, "expected", r.expected());
  AppendFigureCell(out, r, "value", "value");
  AppendFigureCell(out, r, "mean", "mean");
  AppendFigureCell(out, r, "change", "change", /*show_sign=*/true);
  AppendFigureCell(out, r, "at_target", "at_target");
  out.append("</tr>");
}

void AppendMetricSection(std::string& out, const v1::MetricReport& m) {
  const v1::MetricDefinition& d = m.definition();
  out.append("<section class=\"metric\" data-metric=\"").append(Escape(d.code())).append("\">");
  out.append("<h2>").append(Escape(MetricName(d))).append("</h2>");
  if (!d.description().empty()) {
    out.append("<p class=\"note\">").append(Escape(d.description())).append("</p>");
  }
  out.append(MetricChart(m));
  const std::string latest = LatestPeriod(m);
  if (latest.empty()) {
    out.append("<p class=\"muted\">No published figures yet.</p></section>");
    return;
  }
  out.append("<h3>Latest period: ").append(Escape(latest)).append("</h3>");
  OpenTable(out, {{"Scope", false},
                  {"Reporting", true},
                  {"Expected", true},
                  {"Value", true},
                  {"Mean", true},
                  {"Change", true},
                  {"At target", true}});
  for (const v1::Rollup& r : m.network()) {
    if (r.period() == latest) AppendScopeRow(out, "Network", "network", r);
  }
  for (const v1::RegionSeries& s : m.regions()) {
    for (const v1::Rollup& r : s.rollups()) {
      if (r.period() == latest) {
        AppendScopeRow(out, s.region(), std::string("region:").append(s.region()), r);
      }
    }
  }
  CloseTable(out);
  if (!d.unit().empty()) {
    out.append("<p class=\"meta\">Value, mean and change in ").append(Escape(d.unit()));
    out.append("; change against the previous published period.</p>");
  }
  out.append("</section>");
}

void AppendWhatsWorking(std::string& out, const v1::NetworkReport& report) {
  std::string metric = report.ranking_metric();
  for (const v1::MetricReport& m : report.metrics()) {
    if (m.definition().code() == report.ranking_metric()) metric = MetricName(m.definition());
  }
  out.append(
      "<section class=\"working\"><h2>What's working</h2><p class=\"note\">Practices by"
      " adoption, then by outcome: the mean change");
  if (!metric.empty()) out.append(" in ").append(Escape(metric));
  out.append(
      " among chapters that adopted a practice against chapters that did not, from the"
      " period before each adopted it (positive is better).</p>");
  if (report.top_practices().empty()) {
    out.append("<p class=\"muted\">No practices yet.</p></section>");
    return;
  }
  OpenTable(out, {{"Practice", false},
                  {"Adoptions", true},
                  {"Worked", true},
                  {"Did not work", true},
                  {"Adopters vs others", true}});
  for (const v1::PracticeStanding& s : report.top_practices()) {
    const v1::Record& r = s.practice();
    out.append("<tr><td class=\"text\"><a href=\"").append(PracticeHref(r.origin(), r.id()));
    out.append("\">").append(Title(r.practice().title())).append("</a></td>");
    AppendCountCell(out, "adoptions", s.adoptions());
    AppendCountCell(out, "worked", s.worked());
    AppendCountCell(out, "did_not_work", s.did_not_work());
    AppendOutcomeCell(out, s);
    out.append("</tr>");
  }
  CloseTable(out);
  out.append("</section>");
}

}  // namespace

std::string OverviewBody(const v1::NetworkReport& report) {
  std::string out;
  out.append("<h1>State of the network</h1><p class=\"meta\">").append(Escape(report.hub_name()));
  if (report.generated_us() > 0) {
    out.append(" \u00b7 as of ").append(UtcTime(report.generated_us()));
  }
  out.append("</p>");
  AppendCounts(out, report);
  out.append(
      "<p class=\"note\">Figures that could reveal one chapter's value are left out: "
      "<span class=\"suppressed\">suppressed</span> (small counts, quantiles over too few "
      "chapters) or <span class=\"withheld\">withheld</span> (too few chapters reporting, or "
      "hidden so that no other figure gives a withheld one away).</p>");
  for (const v1::MetricReport& m : report.metrics()) AppendMetricSection(out, m);
  AppendWhatsWorking(out, report);
  return out;
}

// ---- Catalogue ----

namespace {

struct FacetSpec {
  const char* facet;  // Facet.name
  const char* param;  // its URL parameter
  const char* label;
  bool many;  // any number of values (the taxonomy lists) or one (region, outcome)
};
constexpr FacetSpec kFacets[] = {{"issue_area", "issue_area", "Issue area", true},
                                 {"community", "community", "Community", true},
                                 {"strategy", "strategy", "Strategy", true},
                                 {"region", "region", "Region", false},
                                 {"outcome", "outcome", "Outcome", false}};

// The page's own parameters, so that every link changes one thing and keeps the rest.
// Paging starts over whenever the filters change: "offset" is added by the pager only.
Params CurrentParams(const v1::SearchCatalogueRequest& asked) {
  Params params;
  if (!asked.query().empty()) params.emplace_back("q", asked.query());
  for (const std::string& v : asked.issue_areas()) params.emplace_back("issue_area", v);
  for (const std::string& v : asked.communities()) params.emplace_back("community", v);
  for (const std::string& v : asked.strategies()) params.emplace_back("strategy", v);
  if (!asked.region().empty()) params.emplace_back("region", asked.region());
  const std::string outcome = OutcomeName(asked.outcome());
  if (!outcome.empty()) params.emplace_back("outcome", outcome);
  return params;
}

bool Has(const Params& params, std::string_view name, std::string_view value) {
  return std::any_of(params.begin(), params.end(),
                     [&](const auto& p) { return p.first == name && p.second == value; });
}

// The parameters with (name, value) switched: removed when on; else added, replacing the
// previous value of a one-value parameter.
Params Toggled(Params params, std::string_view name, std::string_view value, bool many) {
  const bool on = Has(params, name, value);
  std::erase_if(params,
                [&](const auto& p) { return p.first == name && (p.second == value || !many); });
  if (!on) params.emplace_back(std::string(name), std::string(value));
  return params;
}

const char* FacetLabel(std::string_view param) {
  for (const FacetSpec& spec : kFacets) {
    if (param == spec.param) return spec.label;
  }
  return "Filter";
}

std::string FacetValueLabel(std::string_view param, std::string_view value) {
  std::string label(value);
  if (param == "outcome") std::replace(label.begin(), label.end(), '-', ' ');
  return label;
}

void AppendSearchForm(std::string& out, const Params& params, std::string_view path, bool stories) {
  out.append("<form class=\"search\" role=\"search\" method=\"get\" action=\"");
  out.append(Escape(path)).append("\"><label for=\"q\">");
  out.append(stories ? "Search stories" : "Search practices");
  out.append("</label><input type=\"search\" id=\"q\" name=\"q\" value=\"");
  for (const auto& [name, value] : params) {
    if (name == "q") out.append(Escape(value));
  }
  out.append("\">");
  // A new search keeps the filters chosen so far.
  for (const auto& [name, value] : params) {
    if (name == "q") continue;
    out.append("<input type=\"hidden\" name=\"").append(Escape(name)).append("\" value=\"");
    out.append(Escape(value)).append("\">");
  }
  out.append("<button type=\"submit\">Search</button></form>");
}

// The filters in force, each a link that lifts it: a value with no matches left is in no
// facet, and would otherwise be impossible to remove.
void AppendActiveFilters(std::string& out, const Params& params, std::string_view path) {
  std::string links;
  for (const auto& [name, value] : params) {
    if (name == "q") continue;
    links.append(" <a class=\"on\" href=\"").append(Href(path, Toggled(params, name, value, true)));
    links.append("\" title=\"remove this filter\">").append(FacetLabel(name)).append(": ");
    links.append(Escape(FacetValueLabel(name, value))).append(" \u00d7</a>");
  }
  if (links.empty()) return;
  out.append("<p class=\"filters\">Filtered by:").append(links).append("</p>");
}

void AppendFacets(std::string& out, const v1::SearchCatalogueResponse& found, const Params& params,
                  std::string_view path) {
  std::string facets;
  for (const v1::Facet& facet : found.facets()) {
    const auto spec = std::find_if(std::begin(kFacets), std::end(kFacets),
                                   [&](const FacetSpec& s) { return facet.name() == s.facet; });
    if (spec == std::end(kFacets) || facet.values().empty()) continue;  // not a filter here
    facets.append("<div class=\"facet\" data-facet=\"").append(spec->param).append("\"><h3>");
    facets.append(spec->label).append("</h3><ul>");
    for (const v1::FacetValue& v : facet.values()) {
      const bool on = Has(params, spec->param, v.value());
      facets.append("<li><a href=\"");
      facets.append(Href(path, Toggled(params, spec->param, v.value(), spec->many)));
      facets.append(on ? "\" class=\"on\" aria-current=\"true\">\u2713 " : "\">");
      facets.append(Escape(FacetValueLabel(spec->param, v.value())));
      facets.append(" <span class=\"count\" data-count=\"").append(std::to_string(v.count()));
      facets.append("\">(").append(std::to_string(v.count())).append(")</span></a></li>");
    }
    facets.append("</ul></div>");
  }
  if (facets.empty()) return;
  out.append("<section class=\"facets\" aria-label=\"Filters\">").append(facets);
  out.append("</section>");
}

void AppendHit(std::string& out, const v1::CatalogueHit& hit) {
  const v1::Record& r = hit.record();
  std::string meta;
  auto add = [&meta](std::string_view field, const std::string& text) {
    if (text.empty()) return;
    if (!meta.empty()) meta.append(" \u00b7 ");
    meta.append("<span data-field=\"").append(field).append("\">").append(Escape(text));
    meta.append("</span>");
  };
  add("region", hit.region());
  out.append("<li class=\"hit\"><h3>");
  if (r.has_practice()) {
    const v1::Practice& p = r.practice();
    out.append("<a href=\"").append(PracticeHref(r.origin(), r.id())).append("\">");
    out.append(Title(p.title())).append("</a></h3>");
    add("issue_areas", Joined(p.issue_areas(), ", "));
    add("outcome", OutcomeLabel(p.outcome()));
    if (!p.adapted_from().id().empty()) add("adapted", "an adaptation");
    if (!meta.empty()) out.append("<p class=\"meta\">").append(meta).append("</p>");
    out.append("<p>").append(Escape(Truncate(p.summary(), kExcerptChars))).append("</p>");
  } else {
    const v1::Story& s = r.story();
    out.append(Title(s.title())).append("</h3>");
    add("tags", Joined(s.tags(), ", "));
    if (!meta.empty()) out.append("<p class=\"meta\">").append(meta).append("</p>");
    out.append("<p>").append(Escape(Truncate(s.body(), kExcerptChars))).append("</p>");
  }
  out.append("</li>");
}

void AppendPager(std::string& out, const v1::SearchCatalogueRequest& asked,
                 const v1::SearchCatalogueResponse& found, const Params& params,
                 std::string_view path) {
  const uint32_t limit = asked.limit() == 0 ? kDefaultLimit : std::min(asked.limit(), kMaxLimit);
  const uint64_t shown_to = static_cast<uint64_t>(asked.offset()) + found.hits_size();
  std::string links;
  if (asked.offset() > 0) {
    Params previous = params;
    const uint32_t offset = asked.offset() > limit ? asked.offset() - limit : 0;
    if (offset > 0) previous.emplace_back("offset", std::to_string(offset));
    links.append("<a rel=\"prev\" href=\"").append(Href(path, previous)).append("\">Previous</a>");
  }
  if (found.hits_size() > 0 && shown_to < found.matches()) {
    Params next = params;
    next.emplace_back("offset", std::to_string(shown_to));
    if (!links.empty()) links.append(" \u00b7 ");
    links.append("<a rel=\"next\" href=\"").append(Href(path, next)).append("\">Next</a>");
  }
  if (!links.empty()) out.append("<p class=\"pager\">").append(links).append("</p>");
}

}  // namespace

std::string CatalogueBody(const v1::SearchCatalogueRequest& asked,
                          const v1::SearchCatalogueResponse& found, std::string_view path) {
  const bool stories = path == "/stories";
  const Params params = CurrentParams(asked);
  std::string out;
  out.append(stories ? "<h1>Stories</h1>" : "<h1>Practices</h1>");
  AppendSearchForm(out, params, path, stories);
  AppendActiveFilters(out, params, path);
  AppendFacets(out, found, params, path);
  out.append("<p class=\"matches\" data-field=\"matches\" data-value=\"");
  out.append(std::to_string(found.matches())).append("\">");
  out.append(Counted(found.matches(), "match", "matches")).append("</p>");
  if (found.hits_size() > 0) {
    out.append("<ol class=\"hits\" start=\"").append(std::to_string(asked.offset() + 1u));
    out.append("\">");
    for (const v1::CatalogueHit& hit : found.hits()) {
      if (hit.record().has_practice() || hit.record().has_story()) AppendHit(out, hit);
    }
    out.append("</ol>");
  }
  AppendPager(out, asked, found, params, path);
  return out;
}

// ---- Practice ----

namespace {

bool SameRecord(const v1::Record& a, const v1::Record& b) {
  return a.origin() == b.origin() && a.id() == b.id();
}

const v1::ProvenanceNode* FindNode(const v1::ProvenanceNode& node, const v1::Record& wanted,
                                   int depth) {
  if (SameRecord(node.practice(), wanted)) return &node;
  if (depth >= kMaxTreeDepth) return nullptr;
  for (const v1::ProvenanceNode& child : node.adaptations()) {
    if (const v1::ProvenanceNode* found = FindNode(child, wanted, depth + 1)) return found;
  }
  return nullptr;
}

void AppendTaxonomy(std::string& out, const v1::Practice& p) {
  const std::pair<const char*, const google::protobuf::RepeatedPtrField<std::string>*> lists[] = {
      {"Issue areas", &p.issue_areas()},
      {"Communities", &p.communities()},
      {"Strategies", &p.strategies()},
      {"Tags", &p.tags()}};
  std::string items;
  for (const auto& [label, values] : lists) {
    if (values->empty()) continue;
    items.append("<dt>").append(label).append("</dt><dd>");
    items.append(Escape(Joined(*values, ", "))).append("</dd>");
  }
  if (!items.empty()) out.append("<dl class=\"taxonomy\">").append(items).append("</dl>");
}

void AppendStanding(std::string& out, const v1::PracticeStanding& s) {
  const std::pair<const char*, uint32_t> counts[] = {{"adoptions", s.adoptions()},
                                                     {"worked", s.worked()},
                                                     {"mixed", s.mixed()},
                                                     {"did_not_work", s.did_not_work()},
                                                     {"too_early", s.too_early()}};
  const char* labels[] = {"Adoptions", "Worked", "Mixed", "Did not work here", "Too early"};
  out.append("<h2>Standing</h2><div class=\"scroll\"><table><tbody>");
  for (size_t i = 0; i < std::size(counts); ++i) {
    out.append("<tr><th scope=\"row\">").append(labels[i]).append("</th>");
    AppendCountCell(out, counts[i].first, counts[i].second);
    out.append("</tr>");
  }
  out.append("<tr><th scope=\"row\">Adopters vs others</th>");
  AppendOutcomeCell(out, s);
  out.append("</tr>");
  CloseTable(out);
  const v1::OutcomeFigure& f = s.outcome();
  if (s.has_outcome() && !f.withheld()) {
    out.append("<p class=\"meta\">Mean change in ").append(Escape(f.metric()));
    out.append(" to ").append(Escape(f.period())).append(", published by hub <code>");
    out.append(Escape(ShortId(f.hub()))).append("</code>.</p>");
  }
}

// One node of the adaptation tree and, below it, the adaptations made of it.
void AppendTreeNode(std::string& out, const v1::ProvenanceNode& node, const v1::Record& viewed,
                    int depth) {
  const v1::Record& r = node.practice();
  const v1::Practice& p = r.practice();
  const bool current = SameRecord(r, viewed);
  out.append("<li class=\"").append(depth == 0 ? "root" : "adaptation");
  out.append(current ? " current\"" : "\"").append(current ? " aria-current=\"page\">" : ">");
  out.append("<div class=\"node\"><a href=\"").append(PracticeHref(r.origin(), r.id()));
  out.append("\">").append(Title(p.title())).append("</a>");
  if (depth == 0) out.append(" <span class=\"badge\">original</span>");
  if (current) out.append(" <span class=\"badge\">this practice</span>");
  out.append("<p class=\"meta\">");
  if (!node.region().empty()) out.append(Escape(node.region())).append(" \u00b7 ");
  out.append("<code title=\"").append(Escape(r.origin())).append("\">");
  out.append(Escape(ShortId(r.origin()))).append("</code>");
  if (p.outcome() != v1::OUTCOME_UNSPECIFIED) {
    out.append(" \u00b7 <span data-field=\"outcome\">").append(OutcomeLabel(p.outcome()));
    out.append("</span>");
  }
  out.append("</p>");
  if (!p.outcome_note().empty()) {
    out.append("<p class=\"note\">").append(Escape(p.outcome_note())).append("</p>");
  }
  out.append("</div>");
  if (!node.adaptations().empty()) {
    if (depth + 1 >= kMaxTreeDepth) {
      out.append("<p class=\"note\">Further adaptations not shown.</p>");
    } else {
      out.append("<ul>");
      for (const v1::ProvenanceNode& child : node.adaptations()) {
        AppendTreeNode(out, child, viewed, depth + 1);
      }
      out.append("</ul>");
    }
  }
  out.append("</li>");
}

}  // namespace

std::string PracticeBody(const v1::ProvenanceResponse& provenance) {
  const v1::PracticeStanding& standing = provenance.standing();
  const v1::Record& viewed =
      standing.practice().has_practice() ? standing.practice() : provenance.root().practice();
  if (!viewed.has_practice()) {
    return "<h1>Practice not found</h1><p>No practice with that origin and id is held here, "
           "or it is not shared with this view.</p>";
  }
  const v1::Practice& p = viewed.practice();
  const v1::ProvenanceNode* node = FindNode(provenance.root(), viewed, 0);
  std::string out;
  out.append("<h1>").append(Title(p.title())).append("</h1><p class=\"meta\">");
  if (node != nullptr && !node->region().empty()) {
    out.append(Escape(node->region())).append(" \u00b7 ");
  }
  out.append("<code title=\"").append(Escape(viewed.origin())).append("\">");
  out.append(Escape(ShortId(viewed.origin()))).append("</code>");
  if (!p.adapted_from().id().empty()) {
    out.append(" \u00b7 adapted from <a href=\"");
    out.append(PracticeHref(p.adapted_from().origin(), p.adapted_from().id()));
    out.append("\">").append(Escape(ShortId(p.adapted_from().origin()))).append("</a>");
    if (!p.adopted_period().empty()) {
      out.append(" in ").append(Escape(p.adopted_period()));
    }
  }
  out.append("</p>");
  if (!p.summary().empty()) out.append("<p>").append(Escape(p.summary())).append("</p>");
  AppendTaxonomy(out, p);
  if (p.outcome() != v1::OUTCOME_UNSPECIFIED) {
    out.append("<p>Outcome here: <strong data-field=\"outcome\">");
    out.append(OutcomeLabel(p.outcome())).append("</strong>");
    if (!p.outcome_note().empty()) out.append(" \u2014 ").append(Escape(p.outcome_note()));
    out.append("</p>");
  }
  AppendStanding(out, standing);
  if (provenance.root().practice().has_practice()) {
    out.append("<h2>Where it came from and where it went</h2><ul class=\"tree\">");
    AppendTreeNode(out, provenance.root(), viewed, 0);
    out.append("</ul>");
    if (provenance.truncated()) {
      out.append("<p class=\"note\">The tree is larger than shown here.</p>");
    }
  }
  return out;
}

// ---- Operator ----

namespace {

const char* RelationName(v1::Relation relation) {
  switch (relation) {
    case v1::RELATION_HUB:
      return "hub";
    case v1::RELATION_MEMBER:
      return "member";
    case v1::RELATION_SISTER:
      return "sister";
    case v1::RELATION_MEMBER_HUB:
      return "member hub";
    default:
      return "-";
  }
}

void AppendPeerRow(std::string& out, const v1::PeerStatus& peer) {
  out.append("<tr class=\"");
  out.append(peer.revoked() ? "revoked" : (peer.connected() ? "up" : "down"));
  out.append("\" data-node=\"").append(Escape(peer.node_id())).append("\"><td class=\"text\">");
  out.append("<span title=\"").append(Escape(peer.node_id())).append("\">");
  if (peer.name().empty()) {
    out.append("<code>").append(Escape(ShortId(peer.node_id()))).append("</code>");
  } else {
    out.append(Escape(peer.name()));
  }
  out.append("</span></td><td>").append(RelationName(peer.relation())).append("</td>");
  AppendTextCell(out, peer.region());
  out.append("<td data-field=\"connected\">").append(peer.connected() ? "yes" : "no");
  out.append("</td><td class=\"fig\" data-field=\"lag\">");
  out.append(std::to_string(peer.outbound_behind())).append(" / ");
  out.append(std::to_string(peer.inbound_behind())).append("</td><td data-field=\"last_sync\">");
  out.append(peer.last_sync_us() == 0 ? "never" : UtcTime(peer.last_sync_us())).append("</td>");
  if (peer.last_error().empty()) {
    out.append("<td class=\"text\">-</td>");
  } else {
    out.append("<td class=\"text err\">").append(Escape(peer.last_error())).append("</td>");
  }
  out.append("<td class=\"fig\" data-field=\"refused\"");
  if (!peer.last_refusal().empty()) {
    out.append(" title=\"").append(Escape(peer.last_refusal())).append("\"");
  }
  out.append(">").append(std::to_string(peer.refused())).append("</td>");
  AppendCountCell(out, "forks", peer.forks());
  out.append("<td data-field=\"revoked\">").append(peer.revoked() ? "revoked" : "no");
  out.append("</td></tr>");
}

void AppendMissingPeriods(std::string& out, const std::vector<std::string>& missing) {
  out.append("<td class=\"text\">");
  if (missing.empty()) out.append("-");
  for (size_t i = 0; i < missing.size() && i < kMaxMissingShown; ++i) {
    if (i > 0) out.append(", ");
    out.append(Escape(missing[i]));
  }
  if (missing.size() > kMaxMissingShown) {
    out.append(" and ").append(std::to_string(missing.size() - kMaxMissingShown)).append(" more");
  }
  out.append("</td>");
}

void AppendChapterRow(std::string& out, const ChapterReporting& c) {
  out.append("<tr data-node=\"").append(Escape(c.node_id)).append("\"><td class=\"text\">");
  out.append("<span title=\"").append(Escape(c.node_id)).append("\">");
  if (c.name.empty()) {
    out.append("<code>").append(Escape(ShortId(c.node_id))).append("</code>");
  } else {
    out.append(Escape(c.name));
  }
  out.append("</span></td>");
  AppendTextCell(out, c.region);
  AppendCountCell(out, "reported", c.periods_reported.size());
  AppendCountCell(out, "missing", c.periods_missing.size());
  AppendMissingPeriods(out, c.periods_missing);
  out.append("</tr>");
}

}  // namespace

std::string OperatorBody(const v1::ListPeersResponse& peers,
                         const std::vector<ChapterReporting>& chapters) {
  std::string out;
  out.append("<h1>Sync health</h1>");
  if (peers.peers().empty()) {
    out.append("<p class=\"muted\">No peers yet.</p>");
  } else {
    OpenTable(out, {{"Peer", false},
                    {"Relation", false},
                    {"Region", false},
                    {"Connected", false},
                    {"Lag (out / in)", true},
                    {"Last sync", false},
                    {"Last error", false},
                    {"Refused", true},
                    {"Forks", true},
                    {"Revoked", false}});
    for (const v1::PeerStatus& peer : peers.peers()) AppendPeerRow(out, peer);
    CloseTable(out);
    out.append(
        "<p class=\"meta\">Lag: sequence numbers still to send to and to receive from "
        "the peer (at most that many records).</p>");
  }
  out.append("<h2>Reporting completeness by chapter</h2>");
  if (chapters.empty()) {
    out.append("<p class=\"muted\">No chapters expected to report yet.</p>");
    return out;
  }
  OpenTable(out, {{"Chapter", false},
                  {"Region", false},
                  {"Periods reported", true},
                  {"Missing", true},
                  {"Missing periods", false}});
  for (const ChapterReporting& c : chapters) AppendChapterRow(out, c);
  CloseTable(out);
  return out;
}

// ---- Standing, login, open data ----

namespace {

void AppendCompare(std::string& out, const v1::CompareResponse& compare) {
  const std::string code =
      compare.definition().code().empty() ? compare.metric() : compare.definition().code();
  const std::string name = compare.definition().name().empty() ? code : compare.definition().name();
  out.append("<section class=\"metric\" data-metric=\"").append(Escape(code)).append("\"><h2>");
  out.append(Escape(name)).append("</h2>");
  if (!compare.region().empty()) {
    out.append("<p class=\"meta\">Counted in region ").append(Escape(compare.region()));
    out.append(".</p>");
  }
  if (compare.periods().empty()) {
    out.append("<p class=\"muted\">No observations yet.</p></section>");
    return;
  }
  OpenTable(out, {{"Period", false},
                  {"Mine", true},
                  {"Region mean", true},
                  {"Network mean", true},
                  {"Position", false}});
  for (const v1::ComparePeriod& p : compare.periods()) {
    out.append("<tr><th scope=\"row\">").append(Escape(p.period())).append("</th>");
    out.append("<td class=\"fig\" data-field=\"mine\" data-value=\"");
    out.append(ExactNumber(p.mine())).append("\">").append(Number(p.mine())).append("</td>");
    const std::pair<const v1::Rollup*, const char*> means[] = {
        {p.has_region() ? &p.region() : nullptr, "region_mean"},
        {p.has_network() ? &p.network() : nullptr, "network_mean"}};
    for (const auto& [rollup, field] : means) {
      if (rollup == nullptr) {
        out.append("<td class=\"fig muted\" data-field=\"").append(field).append("\">-</td>");
      } else {
        AppendFigureCell(out, *rollup, "mean", field);
      }
    }
    AppendTextCell(out, p.position());
    out.append("</tr>");
  }
  CloseTable(out);
  out.append("</section>");
}

}  // namespace

std::string StandingBody(const std::vector<v1::CompareResponse>& standings) {
  std::string out;
  out.append(
      "<h1>How we stand</h1><p class=\"note\">This chapter's own value for each period "
      "against the means its hub published for its region and the network. Only this "
      "node's operator sees its own values.</p>");
  if (standings.empty()) out.append("<p class=\"muted\">No metrics to compare yet.</p>");
  for (const v1::CompareResponse& compare : standings) AppendCompare(out, compare);
  return out;
}

std::string LoginBody(std::string_view error) {
  std::string out;
  out.append("<h1>Log in</h1>");
  if (!error.empty()) {
    out.append("<p class=\"err\" role=\"alert\">").append(Escape(error)).append("</p>");
  }
  out.append(
      "<form class=\"login\" method=\"post\" action=\"/login\"><p><label for=\"token\">Admin "
      "token (from DATA_DIR/admin.token)</label><br><input type=\"password\" id=\"token\" "
      "name=\"token\" autocomplete=\"current-password\" required autofocus></p><p><button "
      "type=\"submit\">Log in</button></p></form><p class=\"note\">The operator view shows "
      "hub-only data: figures for aggregation and the sync health of every peer.</p>");
  return out;
}

std::string OpenDataBody(const std::vector<std::string>& metric_codes) {
  std::string out;
  out.append(
      "<h1>Open data</h1><p>These files are published under the network's licence. They hold "
      "only public records (practices and stories) and the figures this hub published: "
      "withheld and suppressed figures are left out, as on these pages.</p>"
      "<h2>Everything</h2><ul class=\"files\">"
      "<li><a href=\"/data/records.csv\">Records (CSV)</a></li>"
      "<li><a href=\"/data/records.json\">Records (JSON)</a></li>"
      "<li><a href=\"/data/rollups.csv\">Published figures (CSV)</a></li>"
      "<li><a href=\"/data/rollups.json\">Published figures (JSON)</a></li></ul>");
  if (metric_codes.empty()) return out;
  out.append("<h2>Published figures by metric</h2><ul class=\"files\">");
  for (const std::string& code : metric_codes) {
    out.append("<li><a href=\"").append(Href("/data/rollups.csv", {{"metric", code}}));
    out.append("\">").append(Escape(code)).append(" (CSV)</a></li>");
  }
  out.append("</ul>");
  return out;
}

}  // namespace ldgs::daemon::web

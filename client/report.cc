#include "client/report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "client/definitions.h"
#include "client/record_format.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"

namespace ldgs::client {
namespace {

// The value of a Rollup statistic by field name, and whether it is set.
bool StatOf(const v1::Rollup& r, const std::string& field, double* value) {
  const std::map<std::string, std::pair<bool, double>> fields = {
      {"value", {r.has_value(), r.value()}},
      {"sum", {r.has_sum(), r.sum()}},
      {"mean", {r.has_mean(), r.mean()}},
      {"change", {r.has_change(), r.change()}},
      {"at_target", {r.has_at_target(), static_cast<double>(r.at_target())}}};
  auto it = fields.find(field);
  if (it == fields.end() || !it->second.first) return false;
  *value = it->second.second;
  return true;
}

bool IsSuppressed(const v1::Rollup& r, const std::string& field) {
  return std::find(r.suppressed().begin(), r.suppressed().end(), field) != r.suppressed().end();
}

std::string Number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

std::string Percent(double fraction) { return Number(std::round(fraction * 1000) / 10) + "%"; }

constexpr int kMinAdoptersForImprovement = 3;

std::string Reporting(const v1::Rollup& r) {
  if (r.withheld()) return "-/" + std::to_string(r.expected());
  return std::to_string(r.reporting()) + "/" + std::to_string(r.expected());
}

// Control characters from peers are shown as escapes, then the text is HTML-escaped.
std::string HtmlEscape(const std::string& raw) {
  const std::string text = EscapeForTerminal(raw);
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

const char* kStats[] = {"value", "mean", "change", "at_target"};

nlohmann::json RollupJson(const v1::Rollup& r) {
  nlohmann::json j = {{"period", r.period()},
                      {"scope", r.scope()},
                      {"reporting", r.reporting()},
                      {"expected", r.expected()},
                      {"completeness", r.completeness()}};
  for (const char* field : kStats) {
    double value = 0;
    if (r.withheld()) {
      j[field] = "withheld";
    } else if (IsSuppressed(r, field)) {
      j[field] = "suppressed";
    } else if (StatOf(r, field, &value)) {
      j[field] = value;
    }
  }
  return j;
}

// A small line chart of the network value per period; withheld points leave a gap.
std::string Sparkline(const std::vector<v1::Rollup>& series) {
  const double width = 520, height = 120, pad = 24;
  std::vector<std::pair<size_t, double>> points;
  for (size_t i = 0; i < series.size(); ++i) {
    double value = 0;
    if (!series[i].withheld() && StatOf(series[i], "value", &value)) {
      points.emplace_back(i, value);
    }
  }
  // Scale to the data's own range so that a trend shows; a flat series sits mid-height.
  double lo = points.empty() ? 0 : points.front().second, hi = lo;
  for (const auto& p : points) {
    lo = std::min(lo, p.second);
    hi = std::max(hi, p.second);
  }
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  std::ostringstream svg;
  svg << "<svg viewBox='0 0 " << width << " " << height << "' width='" << width << "' height='"
      << height << "' role='img'><rect width='100%' height='100%' fill='#f7f7f4'/>";
  const double step = series.size() > 1 ? (width - 2 * pad) / (series.size() - 1) : 0;
  std::string path;
  for (size_t k = 0; k < points.size(); ++k) {
    const double x = pad + step * points[k].first;
    const double y = height - pad - (points[k].second - lo) / (hi - lo) * (height - 2 * pad);
    const bool gap = k == 0 || points[k].first != points[k - 1].first + 1;
    path += (gap ? "M" : "L") + Number(x) + " " + Number(y) + " ";
    svg << "<circle cx='" << Number(x) << "' cy='" << Number(y) << "' r='3' fill='#2a6f97'/>";
  }
  if (!path.empty())
    svg << "<path d='" << path << "' fill='none' stroke='#2a6f97' stroke-width='2'/>";
  if (!series.empty()) {
    svg << "<text x='" << pad << "' y='" << height - 6 << "' font-size='11'>"
        << HtmlEscape(series.front().period()) << "</text><text x='" << width - pad - 44 << "' y='"
        << height - 6 << "' font-size='11'>" << HtmlEscape(series.back().period())
        << "</text><text x='4' y='14' font-size='11'>max " << Number(hi) << "</text><text x='4' y='"
        << height - 22 << "' font-size='11'>min " << Number(lo) << "</text>";
  }
  svg << "</svg>";
  return svg.str();
}

}  // namespace

std::string ShowStat(const v1::Rollup& rollup, const std::string& field) {
  if (rollup.withheld()) return "withheld";
  if (IsSuppressed(rollup, field)) return "suppressed";
  double value = 0;
  return StatOf(rollup, field, &value) ? Number(value) : "-";
}

bool VisibleTo(const v1::Record& record, Audience audience) {
  switch (record.visibility()) {
    case v1::VISIBILITY_PUBLIC:
      return true;
    case v1::VISIBILITY_NETWORK:
      return audience != Audience::kPublic;
    case v1::VISIBILITY_HUB:
      return audience == Audience::kOperator;
    default:  // private: nobody's report, the hub's own included
      return false;
  }
}

NetworkReport BuildReport(const v1::NodeStatus& status, const std::vector<v1::Record>& records,
                          const v1::ListPeersResponse& peers, Audience audience, int64_t now_us) {
  NetworkReport report;
  report.hub_name = status.name();
  report.hub_id = status.node_id();
  report.generated = FormatUtc(now_us, "%Y-%m-%d %H:%M UTC");
  report.audience = audience;
  // Chapters are the members this hub enrolled, not whatever profiles it holds.
  for (const v1::PeerStatus& p : peers.peers()) {
    if (p.relation() == v1::RELATION_MEMBER && !p.revoked()) ++report.chapters;
  }

  std::map<std::string, MetricSection> sections;
  std::vector<v1::Record> practices, observations, definitions;
  for (const v1::Record& r : records) {
    if (r.deleted() || !VisibleTo(r, audience)) continue;
    if (r.has_story()) ++report.stories;
    if (r.has_practice()) {
      practices.push_back(r);
      if (r.practice().adapted_from().id().empty()) ++report.practices;
    }
    if (r.has_metric_observation()) observations.push_back(r);
    if (r.has_metric_definition()) definitions.push_back(r);
    // The report shows this hub's own published view, not rollups relayed from elsewhere.
    if (r.has_rollup() && r.origin() == status.node_id() && !r.rollup().contribution()) {
      MetricSection& section = sections[r.rollup().metric()];
      if (section.definition.code().empty()) section.definition.set_code(r.rollup().metric());
      if (r.rollup().scope() == "network") {
        section.network.push_back(r.rollup());
      } else if (r.rollup().scope().rfind("region:", 0) == 0) {
        section.regions[r.rollup().scope().substr(7)].push_back(r.rollup());
      }
    }
  }
  auto by_period = [](const v1::Rollup& a, const v1::Rollup& b) { return a.period() < b.period(); };
  for (auto& [code, section] : sections) {
    if (auto d = DefinitionFor(definitions, code, status)) section.definition = *d;
    std::sort(section.network.begin(), section.network.end(), by_period);
    for (auto& [region, list] : section.regions) std::sort(list.begin(), list.end(), by_period);
    if (!section.network.empty()) report.metrics.push_back(section);
  }
  // Chapters below member hubs count too: the widest figure says how many are expected.
  for (const MetricSection& s : report.metrics) {
    report.chapters = std::max(report.chapters, static_cast<int>(s.network.back().expected()));
  }
  v1::MetricDefinition ranking_metric;
  ranking_metric.set_code("actively_homeless");
  ranking_metric.set_direction(v1::DIRECTION_DOWN_IS_GOOD);
  if (!report.metrics.empty()) ranking_metric = report.metrics.front().definition;
  for (const MetricSection& s : report.metrics) {
    if (s.definition.code() == "actively_homeless") ranking_metric = s.definition;
  }
  report.top_practices = RankPractices(practices, observations, ranking_metric);
  if (report.top_practices.size() > 10) report.top_practices.resize(10);
  // An improvement over fewer than 3 adopters is about a chapter or two: not published.
  for (PracticeRank& p : report.top_practices) {
    if (p.adopters_with_data < kMinAdoptersForImprovement) p.adopters_with_data = 0;
  }
  return report;
}

std::string RenderReportTable(const NetworkReport& report) {
  std::ostringstream out;
  out << "State of the network: " << EscapeForTerminal(report.hub_name) << " (" << report.generated
      << ", " << AudienceName(report.audience) << " view)\n"
      << report.chapters << " chapters, " << report.practices << " practices, " << report.stories
      << " stories\n";
  for (const MetricSection& s : report.metrics) {
    const v1::Rollup& latest = s.network.back();
    out << "\n"
        << EscapeForTerminal(s.definition.name().empty() ? s.definition.code()
                                                         : s.definition.name())
        << " (" << s.definition.code() << "), latest " << latest.period() << "\n";
    out << "  scope               reporting  complete  value       mean        change      at "
           "target\n";
    auto row = [&](const std::string& scope, const v1::Rollup& r) {
      char line[256];
      std::snprintf(line, sizeof(line), "  %-19s %-10s %-9s %-11s %-11s %-11s %s\n",
                    EscapeForTerminal(scope).c_str(), Reporting(r).c_str(),
                    r.withheld() ? "withheld" : Percent(r.completeness()).c_str(),
                    ShowStat(r, "value").c_str(), ShowStat(r, "mean").c_str(),
                    ShowStat(r, "change").c_str(), ShowStat(r, "at_target").c_str());
      out << line;
    };
    row("network", latest);
    for (const auto& [region, list] : s.regions) {
      for (const v1::Rollup& r : list) {
        if (r.period() == latest.period()) row(region, r);
      }
    }
  }
  out << "\nPractices that are spreading (by adoption, then improvement among adopters)\n";
  int rank = 0;
  for (const PracticeRank& p : report.top_practices) {
    char line[512];
    std::snprintf(line, sizeof(line), "  %2d. %-52s adopted %d, worked %d, improvement %s\n",
                  ++rank, EscapeForTerminal(p.practice.practice().title()).substr(0, 52).c_str(),
                  p.adoptions, p.worked,
                  p.adopters_with_data ? Percent(p.mean_improvement).c_str() : "n/a");
    out << line;
  }
  return out.str();
}

std::string RenderReportJson(const NetworkReport& report) {
  nlohmann::json j = {{"hub", report.hub_name},      {"audience", AudienceName(report.audience)},
                      {"hub_id", report.hub_id},     {"generated", report.generated},
                      {"chapters", report.chapters}, {"practices", report.practices},
                      {"stories", report.stories}};
  j["metrics"] = nlohmann::json::array();
  for (const MetricSection& s : report.metrics) {
    nlohmann::json m = {{"code", s.definition.code()}, {"name", s.definition.name()}};
    m["network"] = nlohmann::json::array();
    for (const v1::Rollup& r : s.network) m["network"].push_back(RollupJson(r));
    m["regions"] = nlohmann::json::object();
    for (const auto& [region, list] : s.regions) {
      for (const v1::Rollup& r : list) m["regions"][region].push_back(RollupJson(r));
    }
    j["metrics"].push_back(m);
  }
  j["top_practices"] = nlohmann::json::array();
  for (const PracticeRank& p : report.top_practices) {
    nlohmann::json pj = {{"origin", p.practice.origin()},
                         {"id", p.practice.id()},
                         {"title", p.practice.practice().title()},
                         {"adoptions", p.adoptions},
                         {"worked", p.worked},
                         {"did_not_work", p.did_not_work}};
    if (p.adopters_with_data > 0) pj["mean_improvement"] = p.mean_improvement;
    j["top_practices"].push_back(pj);
  }
  return j.dump();
}

std::string RenderReportHtml(const NetworkReport& report) {
  std::ostringstream html;
  html << "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>State of the network"
          " - "
       << HtmlEscape(report.hub_name)
       << "</title><style>body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}"
          "table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;"
          "padding:4px 8px;text-align:right}th{background:#eef}td:first-child,th:first-child{"
          "text-align:left}.s{color:#a33;font-style:italic}.w{color:#777;font-style:italic}"
          "h2{margin-top:28px}</style></head><body>";
  html << "<h1>State of the network</h1><p>" << HtmlEscape(report.hub_name) << " &middot; "
       << HtmlEscape(report.generated) << " &middot; " << report.chapters << " chapters, "
       << report.practices << " practices, " << report.stories << " stories</p>";
  html << "<p class='w'>" << AudienceName(report.audience)
       << " view. Figures that could reveal one chapter's value are left out: "
          "<span class='s'>suppressed</span> (small counts, quantiles over too few chapters) or "
          "<span class='w'>withheld</span> (too few chapters reporting, or hidden so that no "
          "other figure gives a withheld one away).</p>";
  auto cell = [](const v1::Rollup& r, const std::string& field) {
    const std::string shown = ShowStat(r, field);
    const char* cls = shown == "suppressed" ? " class='s'"
                      : shown == "withheld" ? " class='w'"
                                            : "";
    return "<td" + std::string(cls) + ">" + HtmlEscape(shown) + "</td>";
  };
  for (const MetricSection& s : report.metrics) {
    const v1::Rollup& latest = s.network.back();
    html << "<h2>"
         << HtmlEscape(s.definition.name().empty() ? s.definition.code() : s.definition.name())
         << "</h2>" << Sparkline(s.network);
    html << "<table><tr><th>" << HtmlEscape(latest.period())
         << "</th><th>reporting</th><th>completeness</th><th>value</th><th>mean</th>"
            "<th>change</th><th>at target</th></tr>";
    auto row = [&](const std::string& scope, const v1::Rollup& r) {
      html << "<tr><td>" << HtmlEscape(scope) << "</td><td>" << HtmlEscape(Reporting(r))
           << "</td><td>" << (r.withheld() ? "withheld" : Percent(r.completeness())) << "</td>"
           << cell(r, "value") << cell(r, "mean") << cell(r, "change") << cell(r, "at_target")
           << "</tr>";
    };
    row("network", latest);
    for (const auto& [region, list] : s.regions) {
      for (const v1::Rollup& r : list) {
        if (r.period() == latest.period()) row(region, r);
      }
    }
    html << "</table>";
  }
  html << "<h2>Practices that are spreading</h2><table><tr><th>practice</th><th>adopted</th>"
          "<th>worked</th><th>did not work here</th><th>improvement among adopters</th></tr>";
  for (const PracticeRank& p : report.top_practices) {
    html << "<tr><td>" << HtmlEscape(p.practice.practice().title()) << "</td><td>" << p.adoptions
         << "</td><td>" << p.worked << "</td><td>" << p.did_not_work << "</td><td>"
         << (p.adopters_with_data ? Percent(p.mean_improvement) : "n/a") << "</td></tr>";
  }
  html << "</table></body></html>\n";
  return html.str();
}

std::string AudienceName(Audience audience) {
  switch (audience) {
    case Audience::kOperator:
      return "operator";
    case Audience::kPublic:
      return "public";
    default:
      return "network";
  }
}

}  // namespace ldgs::client

#include "client/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "common/clock.h"
#include "common/text.h"
#include "daemon/web/html.h"
#include "daemon/web/pages.h"
#include "nlohmann/json.hpp"

namespace ldgs::client {
namespace {

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

std::string SignedPercent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%+.1f%%", fraction * 100);
  return buffer;
}

std::string Reporting(const v1::Rollup& r) {
  if (r.withheld()) return "-/" + std::to_string(r.expected());
  return std::to_string(r.reporting()) + "/" + std::to_string(r.expected());
}

const char* kStats[] = {"value", "mean", "change", "at_target"};

nlohmann::json RollupJson(const v1::Rollup& r) {
  nlohmann::json j = {{"period", r.period()},
                      {"scope", r.scope()},
                      {"reporting", r.reporting()},
                      {"expected", r.expected()},
                      {"completeness", r.completeness()}};
  if (r.withheld()) j["withheld_reason"] = r.withheld_reason();
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

nlohmann::json OutcomeJson(const v1::OutcomeFigure& f) {
  nlohmann::json j = {{"metric", f.metric()}, {"period", f.period()}, {"hub", f.hub()}};
  if (f.withheld()) {
    j["withheld"] = true;
    j["withheld_reason"] = f.withheld_reason();
    return j;
  }
  j["adopters"] = f.adopters();
  j["others"] = f.others();
  if (f.has_adopters_change()) j["adopters_change"] = f.adopters_change();
  if (f.has_others_change()) j["others_change"] = f.others_change();
  return j;
}

std::string Name(const v1::MetricReport& m) {
  return m.definition().name().empty() ? m.definition().code() : m.definition().name();
}

}  // namespace

std::string ShowStat(const v1::Rollup& rollup, const std::string& field) {
  if (rollup.withheld()) return "withheld";
  if (IsSuppressed(rollup, field)) return "suppressed";
  double value = 0;
  return StatOf(rollup, field, &value) ? Number(value) : "-";
}

std::string ShowOutcome(const v1::PracticeStanding& standing) {
  if (!standing.has_outcome()) return "n/a";
  const v1::OutcomeFigure& f = standing.outcome();
  if (f.withheld() || !f.has_adopters_change() || !f.has_others_change()) return "withheld";
  return SignedPercent(f.adopters_change()) + " vs " + SignedPercent(f.others_change()) + " (" +
         std::to_string(f.adopters()) + " vs " + std::to_string(f.others()) + " chapters)";
}

std::string RenderReportTable(const v1::NetworkReport& report) {
  std::ostringstream out;
  const std::string audience = report.audience() == v1::AUDIENCE_OPERATOR ? "operator"
                               : report.audience() == v1::AUDIENCE_PUBLIC ? "public"
                                                                          : "network";
  out << "State of the network: " << EscapeForTerminal(report.hub_name()) << " ("
      << FormatUtc(report.generated_us(), "%Y-%m-%d %H:%M UTC") << ", " << audience << " view)\n"
      << report.chapters() << " chapters, " << report.practices() << " practices, "
      << report.stories() << " stories\n";
  for (const v1::MetricReport& m : report.metrics()) {
    if (m.network().empty()) continue;
    const v1::Rollup& latest = *m.network().rbegin();
    out << "\n"
        << EscapeForTerminal(Name(m)) << " (" << EscapeForTerminal(m.definition().code())
        << "), latest " << latest.period() << "\n";
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
    for (const v1::RegionSeries& region : m.regions()) {
      for (const v1::Rollup& r : region.rollups()) {
        if (r.period() == latest.period()) row(region.region(), r);
      }
    }
  }
  out << "\nWhat's working (" << EscapeForTerminal(report.ranking_metric())
      << ": change among adopters vs the others, since adopting)\n";
  int rank = 0;
  for (const v1::PracticeStanding& p : report.top_practices()) {
    char line[512];
    std::snprintf(
        line, sizeof(line), "  %2d. %-48s adopted %d, worked %d, %s\n", ++rank,
        std::string(TruncateUtf8(EscapeForTerminal(p.practice().practice().title()), 48)).c_str(),
        p.adoptions(), p.worked(), ShowOutcome(p).c_str());
    out << line;
  }
  return out.str();
}

std::string RenderReportJson(const v1::NetworkReport& report) {
  nlohmann::json j = {{"hub", report.hub_name()},
                      {"audience", report.audience() == v1::AUDIENCE_OPERATOR ? "operator"
                                   : report.audience() == v1::AUDIENCE_PUBLIC ? "public"
                                                                              : "network"},
                      {"hub_id", report.hub_id()},
                      {"generated", FormatUtc(report.generated_us(), "%Y-%m-%dT%H:%M:%SZ")},
                      {"chapters", report.chapters()},
                      {"practices", report.practices()},
                      {"stories", report.stories()},
                      {"ranking_metric", report.ranking_metric()}};
  j["metrics"] = nlohmann::json::array();
  for (const v1::MetricReport& m : report.metrics()) {
    nlohmann::json mj = {{"code", m.definition().code()}, {"name", m.definition().name()}};
    mj["network"] = nlohmann::json::array();
    for (const v1::Rollup& r : m.network()) mj["network"].push_back(RollupJson(r));
    mj["regions"] = nlohmann::json::object();
    for (const v1::RegionSeries& region : m.regions()) {
      for (const v1::Rollup& r : region.rollups()) {
        mj["regions"][region.region()].push_back(RollupJson(r));
      }
    }
    j["metrics"].push_back(mj);
  }
  j["top_practices"] = nlohmann::json::array();
  for (const v1::PracticeStanding& p : report.top_practices()) {
    nlohmann::json pj = {{"origin", p.practice().origin()},
                         {"id", p.practice().id()},
                         {"title", p.practice().practice().title()},
                         {"adoptions", p.adoptions()},
                         {"worked", p.worked()},
                         {"mixed", p.mixed()},
                         {"did_not_work", p.did_not_work()},
                         {"too_early", p.too_early()}};
    if (p.has_outcome()) pj["outcome"] = OutcomeJson(p.outcome());
    j["top_practices"].push_back(pj);
  }
  return j.dump();
}

std::string RenderReportHtml(const v1::NetworkReport& report) {
  daemon::web::PageFrame frame;
  frame.title = "State of the network";
  frame.hub_name = report.hub_name();
  frame.operator_view = report.audience() == v1::AUDIENCE_OPERATOR;
  frame.active = "overview";
  return daemon::web::Page(frame, daemon::web::OverviewBody(report));
}

}  // namespace ldgs::client
